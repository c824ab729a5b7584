// Checks of the optional settings capability (port/settings.ts): what a source declares in
// capabilities.settingsKinds matches what it implements; getSettings answers one well-formed,
// JSON-serialisable result per kind asked; a kind's failure is a result, never a rejection; what
// is read, written back through applySettings, reads back equal. Run when features.settings.
import { expect } from "vitest";
import { isErrorCode } from "../../error-codes.js";
import type { InboxRule, SettingsKind, SettingsValues } from "../../port/settings.js";
import { expectMailboxError } from "../helpers.js";
import type { MailboxCheck } from "./check.js";

const KINDS: readonly SettingsKind[] = [
  "inboxRules",
  "oof",
  "folderPermissions",
  "delegates",
  "userConfigurations",
];

function kindsOf(subject: Parameters<MailboxCheck["run"]>[0]): readonly SettingsKind[] {
  return subject.source.capabilities.settingsKinds ?? [];
}

/** Folders whose permissions the checks read: the mailbox's inbox and calendar, when it has them. */
async function permissionFolders(subject: Parameters<MailboxCheck["run"]>[0]): Promise<string[]> {
  const info = await subject.source.getMailboxInfo(subject.mailbox);
  const folders = info.distinguishedFolders as Readonly<Record<string, string | undefined>>;
  return ["inbox", "calendar"].map((name) => folders[name]).filter((id): id is string => id !== undefined);
}

export const settingsChecks: readonly MailboxCheck[] = [
  {
    concern: "settings",
    name: "declares settingsKinds exactly when it implements getSettings (and applySettings on its target)",
    async run({ source, target }, features) {
      const kinds = source.capabilities.settingsKinds ?? [];
      for (const kind of kinds) expect(KINDS, "a known settings kind").toContain(kind);
      expect(new Set(kinds).size, "no kind twice").toBe(kinds.length);
      const declared = features.settings === true;
      expect(kinds.length > 0, "features.settings vs capabilities.settingsKinds").toBe(declared);
      expect(typeof source.getSettings === "function", "features.settings vs getSettings").toBe(declared);
      if (declared && target !== undefined)
        expect(typeof target.applySettings, "a target of a settings source writes them").toBe("function");
    },
  },
  {
    concern: "settings",
    name: "getSettings answers one JSON-serialisable result per kind asked, failures as results with an ErrorCode",
    needs: "settings",
    async run(subject) {
      const { source, mailbox } = subject;
      const kinds = kindsOf(subject);
      const read = await source.getSettings!(mailbox, kinds, { folderIds: await permissionFolders(subject) });
      expect(Object.keys(read).sort()).toEqual([...kinds].sort());
      for (const kind of kinds) {
        const result = read[kind];
        expect(result, kind).toBeDefined();
        if (result?.ok === false) expect(isErrorCode(result.code), `${kind}: ${result.code}`).toBe(true);
      }
      expect(JSON.parse(JSON.stringify(read))).toEqual(read);
      expect(await source.getSettings!(mailbox, [])).toEqual({});
    },
  },
  {
    concern: "settings",
    name: "settings written back through applySettings read back equal",
    needs: "settings",
    async run(subject) {
      const { source, target, mailbox } = subject;
      if (target?.applySettings === undefined) return;
      const folderIds = await permissionFolders(subject);
      const read = await source.getSettings!(mailbox, kindsOf(subject), { folderIds });
      const values: Record<string, unknown> = {};
      for (const kind of kindsOf(subject)) {
        const result = read[kind];
        if (result?.ok) values[kind] = result.value;
      }
      const report = await target.applySettings(mailbox, values as Partial<SettingsValues>);
      for (const kind of Object.keys(values) as SettingsKind[]) {
        expect(report[kind]?.ok, `${kind}: ${JSON.stringify(report[kind])}`).toBe(true);
        for (const entry of report[kind]?.entries ?? []) expect(entry.ok, JSON.stringify(entry)).toBe(true);
      }
      const back = await source.getSettings!(mailbox, Object.keys(values) as SettingsKind[], { folderIds });
      const withoutIds = (rules: unknown) => (rules as InboxRule[]).map((r) => ({ ...r, ruleId: undefined }));
      for (const [kind, value] of Object.entries(values)) {
        const again = back[kind as SettingsKind];
        expect(again?.ok, kind).toBe(true);
        if (!again?.ok) continue;
        if (kind === "inboxRules") expect(withoutIds(again.value)).toEqual(withoutIds(value));
        else if (kind === "delegates") {
          const sorted = (d: unknown) =>
            [...(d as SettingsValues["delegates"]).users].map((u) => JSON.stringify(u)).sort();
          expect(sorted(again.value), kind).toEqual(sorted(value));
        } else expect(again.value, kind).toEqual(value);
      }
    },
  },
  {
    concern: "settings",
    name: "getSettings with an aborted signal rejects with EWS_ABORTED",
    needs: "settings",
    async run(subject) {
      const controller = new AbortController();
      controller.abort();
      await expectMailboxError(
        () => subject.source.getSettings!(subject.mailbox, kindsOf(subject), { signal: controller.signal }),
        "EWS_ABORTED",
        "getSettings(aborted)",
      );
    },
  },
];
