// Mailbox settings through the engine, against mock-ews over HTTP with the EWS client: four
// generated mailboxes backed up with their seeded settings and restored into four others, every
// kind read back equal (rule folders pointing at the restored folders); a changed rule or
// permission costs only its own document and each snapshot restores its own settings; a
// restore into another "organisation" through a principal map; a dry run writes nothing.
import {
  backup,
  type FolderInfo,
  type FolderPermissionSet,
  type InboxRule,
  type PrincipalId,
  type RuleParts,
  readSnapshotSettings,
  restore,
  restoreSettings,
  type SettingsKind,
  type SettingsResult,
  type SettingsValues,
} from "@ewsvault/core";
import type { EwsClient } from "@ewsvault/ews";
import type { MockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngineFixture, type EngineFixture } from "../support/engine-fixture.js";
import { startMockEwsClient } from "../support/mock-ews-client.js";

const ALL: SettingsKind[] = ["inboxRules", "oof", "folderPermissions", "delegates", "userConfigurations"];

let server: MockEwsServer;
let client: EwsClient;
let storage: EngineFixture;
/** Source -> target mailbox of the round trip. */
const pairs: [string, string][] = [];

function value<T>(result: SettingsResult<T> | undefined): T {
  if (result === undefined || !result.ok) throw new Error(`kind failed: ${JSON.stringify(result)}`);
  return result.value;
}

/** Folder id -> '/'-joined display-name path below msgfolderroot, and the reverse. */
async function folderPaths(
  mailbox: string,
): Promise<{ pathOf: Map<string, string>; idOf: Map<string, string> }> {
  const folders = await client.findFolders(mailbox, "msgfolderroot");
  const byId = new Map<string, FolderInfo>(folders.map((f) => [f.folderId, f]));
  const path = (f: FolderInfo): string => {
    const parent = byId.get(f.parentFolderId);
    return parent === undefined ? f.displayName : `${path(parent)}/${f.displayName}`;
  };
  const pathOf = new Map(folders.map((f) => [f.folderId, path(f)]));
  return { pathOf, idOf: new Map([...pathOf].map(([id, p]) => [p, id])) };
}

/** Rules with folder ids replaced by paths, rule ids dropped: comparable across mailboxes. */
function comparableRules(rules: readonly InboxRule[], pathOf: Map<string, string>): unknown[] {
  const parts = (p: RuleParts) =>
    Object.fromEntries(
      Object.entries(p).map(([name, v]) =>
        "folderId" in v && v.distinguished !== true
          ? [name, { folderPath: pathOf.get(v.folderId) ?? `missing ${v.folderId}` }]
          : [name, v],
      ),
    );
  return rules.map(({ ruleId: _id, ...r }) => ({
    ...r,
    conditions: parts(r.conditions),
    exceptions: parts(r.exceptions),
    actions: parts(r.actions),
  }));
}

function principal(user: PrincipalId): string {
  return user.distinguishedUser ?? user.primarySmtpAddress?.toLowerCase() ?? "?";
}

/** Permission sets by folder path, users by address (SIDs and display names are the server's). */
function comparablePermissions(sets: readonly FolderPermissionSet[], pathOf: Map<string, string>) {
  return Object.fromEntries(
    sets.map((s) => [
      pathOf.get(s.folderId) ?? s.folderId,
      { calendar: s.calendar, permissions: s.permissions.map((p) => ({ ...p, user: principal(p.user) })) },
    ]),
  );
}

function comparableDelegates(d: SettingsValues["delegates"]) {
  return {
    deliverMeetingRequests: d.deliverMeetingRequests,
    users: d.users
      .map((u) => ({ ...u, user: principal(u.user) }))
      .sort((a, b) => a.user.localeCompare(b.user)),
  };
}

/** Every kind of a mailbox, comparable with another mailbox's. */
async function comparableSettings(mailbox: string, paths?: ReadonlySet<string>) {
  const { pathOf } = await folderPaths(mailbox);
  const folderIds = [...pathOf]
    .filter(([, path]) => paths === undefined || paths.has(path))
    .map(([id]) => id);
  const read = await client.getSettings(mailbox, ALL, { folderIds });
  const byName = (a: { name: string; folderId: string }, b: { name: string; folderId: string }) =>
    `${a.folderId}/${a.name}`.localeCompare(`${b.folderId}/${b.name}`);
  return {
    inboxRules: comparableRules(value(read.inboxRules), pathOf),
    oof: value(read.oof),
    folderPermissions: comparablePermissions(value(read.folderPermissions), pathOf),
    delegates: comparableDelegates(value(read.delegates)),
    userConfigurations: [...value(read.userConfigurations)].sort(byName),
  };
}

/** A target mailbox emptied of what a restore adds to rather than replaces. */
function emptySettings(mailbox: string): void {
  server.settings.setRules(mailbox, []);
  server.settings.setDelegates(mailbox, []);
  for (const c of server.settings.configurations(mailbox))
    server.settings.deleteConfiguration(mailbox, c.folderId, c.name);
}

beforeAll(async () => {
  ({ server, client } = await startMockEwsClient({
    seed: 1616,
    mailboxes: 8,
    itemsPerMailbox: 3,
    associatedItems: true,
  }));
  storage = await createEngineFixture();
  const sources = server.mailboxes.slice(0, 4);
  const pool = server.mailboxes.slice(4);
  for (const from of sources) {
    // An owner cannot be its own delegate: the target is none of the source's delegates.
    const delegates = new Set(server.settings.delegates(from).map((d) => d.smtpAddress.toLowerCase()));
    const index = pool.findIndex((m) => !delegates.has(m.toLowerCase()));
    if (index < 0) throw new Error("the mock seeded no possible target");
    pairs.push([from, pool.splice(index, 1)[0]!]);
  }
});

afterAll(async () => {
  await client?.close();
  await storage?.close();
  await server?.stop();
});

describe("mailbox settings through the engine (mock-ews, EWS client)", () => {
  it("backs up four mailboxes' settings and restores each into another mailbox, every kind equal", async () => {
    const sources = pairs.map(([from]) => from);
    const report = await backup({
      repository: storage.repository,
      source: client,
      mailboxes: sources,
      indexDirectory: storage.indexDirectory,
    });
    for (const mailbox of report.mailboxes) {
      expect(mailbox.status, JSON.stringify(mailbox.error)).toBe("completed");
      expect(mailbox.settings?.stored).toEqual(ALL);
      expect(mailbox.settings?.failures).toEqual([]);
    }
    for (const [from, to] of pairs) {
      const stored = await readSnapshotSettings({
        repository: storage.repository,
        mailbox: from,
        withFolderPaths: true,
      });
      expect(stored.present).toBe(true);
      expect(value(stored.kinds.inboxRules).length).toBeGreaterThanOrEqual(3);
      // Permission folders are named by path for `ls --settings`.
      const sourcePathOf = (await folderPaths(from)).pathOf;
      for (const set of value(stored.kinds.folderPermissions))
        expect(stored.folderPaths?.[set.folderId]).toBe(sourcePathOf.get(set.folderId));

      emptySettings(to);
      const items = await restore({
        repository: storage.repository,
        target: client,
        mailbox: from,
        toMailbox: to,
      });
      expect(items.failed).toBe(0);
      const restored = await restoreSettings({
        repository: storage.repository,
        target: client,
        mailbox: from,
        toMailbox: to,
      });
      expect(restored.unmappedPrincipals).toEqual([]);
      for (const kind of ALL) {
        expect(restored.kinds[kind]?.ok, `${kind}: ${JSON.stringify(restored.kinds[kind])}`).toBe(true);
        for (const entry of restored.kinds[kind]?.entries ?? [])
          expect(entry.status, JSON.stringify(entry)).toBe("written");
      }
      // The target's own folders (of other paths) are not the restore's.
      const sourcePaths = new Set((await folderPaths(from)).pathOf.values());
      const source = await comparableSettings(from);
      const target = await comparableSettings(to, sourcePaths);
      expect(Object.keys(source.folderPermissions).length).toBeGreaterThan(5);
      expect(source.delegates.users.length + source.userConfigurations.length).toBeGreaterThan(0);
      expect(target.inboxRules).toEqual(source.inboxRules);
      expect(target.oof).toEqual(source.oof);
      expect(target.folderPermissions).toEqual(source.folderPermissions);
      expect(target.delegates).toEqual(source.delegates);
      expect(target.userConfigurations).toEqual(source.userConfigurations);

      // Folder-associated items came with the item restore: each of the source's is in the target.
      const associated = (mailbox: string, folder: string) =>
        server.listAssociatedItems(mailbox, folder).map((id) => {
          const item = server.getItem(id);
          return `${item.itemClass} ${item.subject}`;
        });
      for (const folder of ["inbox", "calendar"]) {
        const fai = associated(from, folder);
        expect(fai.length, folder).toBeGreaterThan(0);
        expect(associated(to, folder)).toEqual(expect.arrayContaining(fai));
      }

      // Rule folder references name the restored folders (the target's ids, the same paths).
      const targetPaths = await folderPaths(to);
      const moved = server.settings.rules(to).flatMap((r) => {
        const folder = r.actions.MoveToFolder ?? r.actions.CopyToFolder;
        return folder === undefined ? [] : [String(folder)];
      });
      for (const folderId of moved) expect(targetPaths.pathOf.has(folderId)).toBe(true);
    }
  });

  it("a changed rule, then a changed permission, costs a few KiB; each snapshot restores its own settings", async () => {
    const [from, to] = pairs[0]!;
    const run = () =>
      backup({
        repository: storage.repository,
        source: client,
        mailboxes: [from],
        indexDirectory: storage.indexDirectory,
      }).then((r) => r.mailboxes[0]!);
    const before = await run();
    const oldRules = server.settings.rules(from);
    server.settings.setRules(
      from,
      oldRules.map((r, i) =>
        i === 0 ? { ...r, displayName: `${r.displayName} (changed)`, isEnabled: !r.isEnabled } : r,
      ),
    );
    const afterRule = await run();
    expect(afterRule.status).toBe("completed");
    expect(afterRule.settings?.bytesNew).toBeGreaterThan(0);
    expect(afterRule.bytesNew).toBeLessThan(8 * 1024);

    const inbox = await client.resolveFolderId(from, "inbox");
    const read = await client.getSettings(from, ["folderPermissions"], { folderIds: [inbox] });
    const [set] = value(read.folderPermissions);
    const changed: FolderPermissionSet = {
      ...set!,
      permissions: set!.permissions.map((p) =>
        p.user.distinguishedUser === "Default" ? { ...p, level: "Reviewer", readItems: "FullDetails" } : p,
      ),
    };
    expect((await client.applySettings(from, { folderPermissions: [changed] })).folderPermissions?.ok).toBe(
      true,
    );
    const afterPermission = await run();
    expect(afterPermission.settings?.bytesNew).toBeGreaterThan(0);
    expect(afterPermission.bytesNew).toBeLessThan(8 * 1024);
    // Nothing changed: nothing new.
    const unchanged = await run();
    expect(unchanged.settings?.bytesNew).toBe(0);

    const names = async (snapshot: string) => {
      emptySettings(to);
      const r = await restoreSettings({
        repository: storage.repository,
        target: client,
        mailbox: from,
        toMailbox: to,
        snapshot,
        kinds: ["inboxRules", "folderPermissions"],
      });
      expect(r.kinds.inboxRules?.ok).toBe(true);
      const toInbox = await client.resolveFolderId(to, "inbox");
      const perms = await client.getSettings(to, ["folderPermissions"], { folderIds: [toInbox] });
      const level = value(perms.folderPermissions)[0]!.permissions.find(
        (p) => p.user.distinguishedUser === "Default",
      )?.level;
      return { rules: server.settings.rules(to).map((rule) => [rule.displayName, rule.isEnabled]), level };
    };
    const original = {
      rules: oldRules.map((r) => [r.displayName, r.isEnabled]),
      level: set!.permissions.find((p) => p.user.distinguishedUser === "Default")?.level,
    };
    expect(await names(before.snapshotId!)).toEqual(original);
    const ruleChanged = await names(afterRule.snapshotId!);
    expect(ruleChanged.rules).toEqual(server.settings.rules(from).map((r) => [r.displayName, r.isEnabled]));
    expect(ruleChanged.level).toBe(original.level);
    expect(await names(afterPermission.snapshotId!)).toEqual({ rules: ruleChanged.rules, level: "Reviewer" });

    // Settings documents are kept, verified and pruned like item data.
    await storage.repository.forget({ keepLast: 1 }, { mailbox: from });
    const pruned = await storage.repository.prune();
    expect(pruned.unusedBlobs).toBeGreaterThan(0);
    const verified = await storage.repository.verify({ readData: true });
    expect(verified.problems).toEqual([]);
    expect(await names(unchanged.snapshotId!)).toEqual({ rules: ruleChanged.rules, level: "Reviewer" });
  });

  it("a mailbox's second run stores no settings again; a folder created meanwhile gets its permissions read", async () => {
    // A repository and index of its own: the first run of this mailbox must be a first run.
    const fresh = await createEngineFixture();
    try {
      const mailbox = pairs[1]![0];
      const run = () =>
        backup({
          repository: fresh.repository,
          source: client,
          mailboxes: [mailbox],
          indexDirectory: fresh.indexDirectory,
        }).then((r) => r.mailboxes[0]!);
      const first = await run();
      expect(first.status).toBe("completed");
      // The first run lists folders in the hierarchy's order, later runs in the index's: the
      // permission sets must not follow either, or every run stores a new settings tree.
      const second = await run();
      expect(second.status).toBe("completed");
      expect(second.settings?.bytesNew).toBe(0);
      expect(second.bytesNew).toBe(0);

      const inbox = await client.resolveFolderId(mailbox, "inbox");
      const created = await client.createFolder(mailbox, inbox, "Settings projects");
      const third = await run();
      expect(third.status).toBe("completed");
      const stored = await readSnapshotSettings({
        repository: fresh.repository,
        mailbox,
        snapshot: third.snapshotId!,
        kinds: ["folderPermissions"],
      });
      const permissions = stored.kinds.folderPermissions;
      expect(permissions?.ok).toBe(true);
      const ids = permissions?.ok === true ? permissions.value.map((set) => set.folderId) : [];
      expect(ids).toContain(created.folderId);
      expect(ids).toEqual([...ids].sort());
      expect(new Set(ids).size).toBe(ids.length);
    } finally {
      await fresh.close();
    }
  });

  it("into another organisation: mapped principals are rewritten, every unmapped one reported and left out", async () => {
    const [from, to] = pairs[1]!;
    const stored = await readSnapshotSettings({ repository: storage.repository, mailbox: from });
    const delegates = value(stored.kinds.delegates).users.map((u) =>
      u.user.primarySmtpAddress!.toLowerCase(),
    );
    expect(delegates.length).toBeGreaterThan(0);
    const people = new Set<string>(delegates);
    const ruleAddresses = (rules: readonly InboxRule[]) =>
      rules.flatMap((r) =>
        [r.conditions, r.exceptions, r.actions].flatMap((parts) =>
          Object.values(parts).flatMap((v) =>
            "addresses" in v ? v.addresses.map((a) => a.emailAddress.toLowerCase()) : [],
          ),
        ),
      );
    const storedRules = value(stored.kinds.inboxRules);
    for (const address of ruleAddresses(storedRules)) people.add(address);
    for (const set of value(stored.kinds.folderPermissions))
      for (const p of set.permissions)
        if (p.user.primarySmtpAddress) people.add(p.user.primarySmtpAddress.toLowerCase());
    // The "other organisation" is the same mock; the map sends each person to another mailbox
    // that is neither the target nor a source delegate, leaving the first delegate unmapped.
    const others = server.mailboxes.filter((m) => m !== to && !people.has(m.toLowerCase()));
    const unmappedOne = delegates[0]!;
    const map = new Map<string, string>();
    for (const [i, address] of [...people].filter((a) => a !== unmappedOne).entries())
      map.set(address, others[i % others.length]!);
    emptySettings(to);
    const report = await restoreSettings({
      repository: storage.repository,
      target: client,
      mailbox: from,
      toMailbox: to,
      kinds: ["inboxRules", "folderPermissions", "delegates"],
      principalMap: map,
    });
    expect(report.unmappedPrincipals.length).toBeGreaterThan(0);
    expect(report.unmappedPrincipals.every((u) => u.address === unmappedOne)).toBe(true);
    expect(report.unmappedPrincipals.every((u) => u.code === "SETTINGS_PRINCIPAL_UNMAPPED")).toBe(true);
    expect(report.kinds.delegates?.entries).toContainEqual(
      expect.objectContaining({
        entry: `delegate:${unmappedOne}`,
        status: "skipped",
        code: "SETTINGS_PRINCIPAL_UNMAPPED",
      }),
    );
    // Rules: every address written is a mapped one; each rule is written or reported.
    const written = value((await client.getSettings(to, ["inboxRules"])).inboxRules);
    expect(ruleAddresses(storedRules).length).toBeGreaterThan(0);
    for (const address of ruleAddresses(written)) expect(people.has(address), address).toBe(false);
    expect(ruleAddresses(written).length).toBeGreaterThan(0);
    const statuses = report.kinds.inboxRules?.entries.map((e) => e.status) ?? [];
    expect(statuses).toHaveLength(storedRules.length);
    expect(statuses.filter((s) => s === "written")).toHaveLength(written.length);
    const after = await client.getSettings(to, ["delegates"]);
    const restored = value(after.delegates).users.map((u) => u.user.primarySmtpAddress!.toLowerCase());
    expect(restored.sort()).toEqual(
      delegates
        .filter((d) => d !== unmappedOne)
        .map((d) => map.get(d)!.toLowerCase())
        .sort(),
    );
    // The restored folders' permissions name mapped principals only (every person was mapped
    // to a mailbox outside the source's principals, or left out).
    const sourcePaths = new Set((await folderPaths(from)).pathOf.values());
    const { pathOf } = await folderPaths(to);
    const restoredFolders = [...pathOf].filter(([, path]) => sourcePaths.has(path)).map(([id]) => id);
    const perms = await client.getSettings(to, ["folderPermissions"], { folderIds: restoredFolders });
    const named = value(perms.folderPermissions).flatMap((set) =>
      set.permissions.flatMap((p) =>
        p.user.primarySmtpAddress ? [p.user.primarySmtpAddress.toLowerCase()] : [],
      ),
    );
    expect(named.length).toBeGreaterThan(0);
    for (const address of named) expect(people.has(address), address).toBe(false);
  });

  it("a dry run writes nothing and says which entries differ; against the source itself nothing differs", async () => {
    const [from, to] = pairs[2]!;
    emptySettings(to);
    const before = await comparableSettings(to);
    const report = await restoreSettings({
      repository: storage.repository,
      target: client,
      mailbox: from,
      toMailbox: to,
      dryRun: true,
    });
    expect(report.dryRun).toBe(true);
    expect(report.foldersCreated).toBe(0);
    expect(await comparableSettings(to)).toEqual(before);
    expect(report.kinds.inboxRules?.entries.every((e) => e.status === "would-write")).toBe(true);
    expect(report.kinds.delegates?.entries.every((e) => e.status === "would-write")).toBe(true);

    const same = await restoreSettings({
      repository: storage.repository,
      target: client,
      mailbox: from,
      dryRun: true,
    });
    for (const kind of ALL) {
      expect(same.kinds[kind]?.entries.length, kind).toBeGreaterThan(0);
      for (const entry of same.kinds[kind]?.entries ?? [])
        expect(entry.status, `${kind} ${entry.entry}`).toBe("unchanged");
    }
    // One change on the source: exactly that entry would be written.
    const rules = server.settings.rules(from);
    server.settings.setRules(
      from,
      rules.map((r, i) => (i === 1 ? { ...r, isEnabled: !r.isEnabled } : r)),
    );
    const changed = await restoreSettings({
      repository: storage.repository,
      target: client,
      mailbox: from,
      dryRun: true,
      kinds: ["inboxRules"],
    });
    expect(changed.kinds.inboxRules?.entries.map((e) => e.status)).toEqual(
      rules.map((_, i) => (i === 1 ? "would-write" : "unchanged")),
    );
    server.settings.setRules(from, rules);
  });
});
