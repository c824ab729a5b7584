// The EWS client reads and writes mailbox settings against mock-ews: each kind from a seeded
// mailbox, and each written into another mailbox and read back equal (rule order and enabled
// state, OOF, permissions with Default/Anonymous, delegates with folder levels, configurations
// with dictionary/XML/binary data).
import type {
  FolderInfo,
  InboxRule,
  RuleParts,
  SettingsKind,
  SettingsResult,
  SettingsValues,
} from "@ewsvault/mailbox";
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EwsClient } from "../src/index.js";
import { mockClient } from "./forwarding-server.js";

const ALL: SettingsKind[] = ["inboxRules", "oof", "folderPermissions", "delegates", "userConfigurations"];
const PERMISSION_FOLDERS = ["calendar", "inbox", "contacts"];

let server: MockEwsServer;
let client: EwsClient;

beforeAll(async () => {
  server = await startMockEwsServer({ seed: 16, mailboxes: 4, itemsPerMailbox: 2 });
  client = mockClient(server);
});

afterAll(async () => {
  await client?.close();
  await server?.stop();
});

function value<T>(result: SettingsResult<T> | undefined): T {
  if (result === undefined || !result.ok) throw new Error(`kind failed: ${JSON.stringify(result)}`);
  return result.value;
}

/** Folder path (display names from msgfolderroot) -> id, to map one mailbox's folders onto another's. */
async function foldersByPath(mailbox: string): Promise<Map<string, string>> {
  const folders = await client.findFolders(mailbox, "msgfolderroot");
  const byId = new Map<string, FolderInfo>(folders.map((f) => [f.folderId, f]));
  const pathOf = (f: FolderInfo): string => {
    const parent = byId.get(f.parentFolderId);
    return parent === undefined ? f.displayName : `${pathOf(parent)}/${f.displayName}`;
  };
  return new Map(folders.map((f) => [pathOf(f), f.folderId]));
}

async function folderIdMap(from: string, to: string): Promise<Map<string, string>> {
  const source = await foldersByPath(from);
  const target = await foldersByPath(to);
  const map = new Map<string, string>();
  for (const [path, id] of source) {
    const mapped = target.get(path);
    if (mapped !== undefined) map.set(id, mapped);
  }
  return map;
}

function mapParts(parts: RuleParts, map: ReadonlyMap<string, string>): RuleParts {
  return Object.fromEntries(
    Object.entries(parts).map(([name, v]) =>
      "folderId" in v && v.distinguished !== true ? [name, { folderId: map.get(v.folderId) }] : [name, v],
    ),
  );
}

describe("settings over EWS (mock-ews)", () => {
  it("declares every kind and reads each from a seeded mailbox", async () => {
    expect(client.capabilities.settingsKinds).toEqual(ALL);
    const mailbox = server.mailboxes[0]!;
    const read = await client.getSettings(mailbox, ALL, { folderIds: PERMISSION_FOLDERS });
    const rules = value(read.inboxRules);
    const seeded = server.settings.rules(mailbox);
    expect(rules.map((r) => [r.displayName, r.priority, r.isEnabled])).toEqual(
      seeded.map((r) => [r.displayName, r.priority, r.isEnabled]),
    );
    expect(rules.length).toBeGreaterThanOrEqual(3);
    const oof = value(read.oof);
    const seededOof = server.settings.oof(mailbox);
    expect(oof.state).toBe(seededOof.state);
    expect(oof.internalReply.message).toBe(seededOof.internalReply);
    expect(oof.externalReply.message).toBe(seededOof.externalReply);
    const permissions = value(read.folderPermissions);
    expect(permissions.map((p) => p.folderId)).toEqual(PERMISSION_FOLDERS);
    const calendar = permissions[0]!;
    expect(calendar.calendar).toBe(true);
    const users = calendar.permissions.map((p) => p.user.distinguishedUser ?? p.user.primarySmtpAddress);
    expect(users).toContain("Default");
    expect(users).toContain("Anonymous");
    expect(
      calendar.permissions.some((p) => p.user.primarySmtpAddress !== undefined && p.level === "Reviewer"),
    ).toBe(true);
    const delegates = value(read.delegates);
    expect(delegates.users.map((u) => u.user.primarySmtpAddress).sort()).toEqual(
      server.settings
        .delegates(mailbox)
        .map((d) => d.smtpAddress)
        .sort(),
    );
    expect(delegates.deliverMeetingRequests).toBe(server.settings.deliverMeetingRequests(mailbox));
    const configs = value(read.userConfigurations);
    const categoryList = configs.find((c) => c.name === "CategoryList");
    expect(categoryList?.folderId).toBe("calendar");
    expect(Buffer.from(categoryList?.xmlData ?? "", "base64").toString("utf8")).toContain("<categories");
    expect(configs.find((c) => c.name === "Calendar")?.dictionary?.length).toBeGreaterThan(0);
  });

  it("a folder of folderIds that does not exist is an entry failure, the rest is read", async () => {
    const mailbox = server.mailboxes[0]!;
    // Real ids: an entry failure is keyed by the id exactly as the caller gave it.
    const inbox = await client.resolveFolderId(mailbox, "inbox");
    const read = await client.getSettings(mailbox, ["folderPermissions"], {
      folderIds: [inbox, "AAMkAGRvZXNub3RleGlzdA=="],
    });
    const result = read.folderPermissions;
    expect(result?.ok).toBe(true);
    if (!result?.ok) return;
    expect(result.value.map((s) => s.folderId)).toEqual([inbox]);
    expect(result.entryFailures?.map((f) => f.entry)).toEqual(["AAMkAGRvZXNub3RleGlzdA=="]);
  });

  it("lists configuration objects of every folder in one FindItem, and folder by folder when that is refused", async () => {
    const read = async (faulty: MockEwsServer) => {
      const faultyClient = mockClient(faulty);
      try {
        faulty.resetCounters();
        const result = await faultyClient.getSettings(faulty.mailboxes[0]!, ["userConfigurations"]);
        return {
          names: value(result.userConfigurations).map((c) => `${c.folderId}/${c.name}`),
          counters: faulty.counters(),
        };
      } finally {
        await faultyClient.close();
      }
    };
    const plain = await startMockEwsServer({ seed: 16, mailboxes: 1, itemsPerMailbox: 2 });
    // The first FindItem (the listing of all folders at once) is refused as a whole.
    const refusing = await startMockEwsServer({
      seed: 16,
      mailboxes: 1,
      itemsPerMailbox: 2,
      faults: [{ kind: "invalidOperation", operation: "FindItem", nth: [1] }],
    });
    try {
      const once = await read(plain);
      expect(once.counters.requests.FindItem).toBe(1);
      // The listing is authoritative: each object listed is read once, and nothing else.
      expect(once.names).toEqual(["calendar/CategoryList", "calendar/WorkHours", "calendar/Calendar"]);
      expect(once.counters.requests.GetUserConfiguration).toBe(once.names.length);
      const fallback = await read(refusing);
      expect(fallback.counters.faulted.invalidOperation).toBe(1);
      // One refused listing, then one per folder searched.
      expect(fallback.counters.requests.FindItem).toBe(1 + 7);
      expect(fallback.names).toEqual(once.names);
      expect(once.names.length).toBeGreaterThan(0);
    } finally {
      await plain.stop();
      await refusing.stop();
    }
  });

  it("writes every kind into another mailbox and reads it back equal", async () => {
    // From the seeded mailbox with the most delegates, into one of the others.
    const [from] = [...server.mailboxes]
      .slice(1)
      .sort((a, b) => server.settings.delegates(b).length - server.settings.delegates(a).length);
    // A target that is not one of the source's delegates (an owner cannot be its own delegate).
    const to = server.mailboxes
      .slice(1)
      .find((m) => m !== from && !server.settings.delegates(from ?? "").some((d) => d.smtpAddress === m));
    if (from === undefined || to === undefined) throw new Error("the mock seeded too few mailboxes");
    // The target starts with no delegates, so the read-back is exactly what was written.
    server.settings.setDelegates(to, []);
    const read = await client.getSettings(from, ALL, { folderIds: PERMISSION_FOLDERS });
    const settings: { -readonly [K in keyof SettingsValues]?: SettingsValues[K] } = {
      inboxRules: value(read.inboxRules),
      oof: value(read.oof),
      folderPermissions: value(read.folderPermissions),
      delegates: value(read.delegates),
      userConfigurations: value(read.userConfigurations),
    };
    expect(settings.delegates?.users.length).toBeGreaterThan(0);
    expect(settings.delegates?.users.some((u) => Object.keys(u.permissions).length > 0)).toBe(true);
    // Some variety the seed may not give: a disabled rule.
    const rules = settings.inboxRules as InboxRule[];
    settings.inboxRules = rules.map((r, i) => (i === 0 ? { ...r, isEnabled: false } : r));
    const map = await folderIdMap(from, to);
    const report = await client.applySettings(to, settings, { folderIdMap: map });
    for (const kind of ALL) {
      expect(report[kind]?.ok, `${kind}: ${JSON.stringify(report[kind])}`).toBe(true);
      for (const entry of report[kind]?.entries ?? []) expect(entry.ok, JSON.stringify(entry)).toBe(true);
    }

    const back = await client.getSettings(to, ALL, { folderIds: PERMISSION_FOLDERS });
    const strip = (r: InboxRule) => ({ ...r, ruleId: undefined });
    expect(value(back.inboxRules).map(strip)).toEqual(
      (settings.inboxRules as InboxRule[]).map((r) =>
        strip({
          ...r,
          conditions: mapParts(r.conditions, map),
          exceptions: mapParts(r.exceptions, map),
          actions: mapParts(r.actions, map),
        }),
      ),
    );
    expect(value(back.inboxRules)[0]!.isEnabled).toBe(false);
    expect(value(back.oof)).toEqual(settings.oof);
    expect(value(back.folderPermissions)).toEqual(settings.folderPermissions);
    const sortUsers = (d: SettingsValues["delegates"]) => ({
      ...d,
      users: [...d.users].sort((a, b) =>
        (a.user.primarySmtpAddress ?? "").localeCompare(b.user.primarySmtpAddress ?? ""),
      ),
    });
    expect(sortUsers(value(back.delegates))).toEqual(
      sortUsers(settings.delegates as SettingsValues["delegates"]),
    );
    expect(value(back.userConfigurations)).toEqual(settings.userConfigurations);
  });

  it("a rule whose folder was not restored is reported and the others created; a rule the server refuses fails all", async () => {
    const mailbox = server.mailboxes[3]!;
    const simple = (name: string, actions: InboxRule["actions"]): InboxRule => ({
      displayName: name,
      priority: 1,
      isEnabled: true,
      conditions: { ContainsSubjectStrings: { strings: [name] } },
      exceptions: {},
      actions,
    });
    const unmapped = simple("to a lost folder", { MoveToFolder: { folderId: "AAMkAGxvc3Q=" } });
    const kept = simple("flag it", { MarkImportance: { choice: "High" } });
    const report = await client.applySettings(
      mailbox,
      { inboxRules: [unmapped, kept] },
      { folderIdMap: new Map() },
    );
    expect(report.inboxRules?.ok).toBe(true);
    expect(report.inboxRules?.entries).toEqual([
      {
        entry: "to a lost folder",
        ok: false,
        failure: expect.objectContaining({ code: "EWS_FOLDER_NOT_FOUND" }),
      },
      { entry: "flag it", ok: true },
    ]);
    const read = await client.getSettings(mailbox, ["inboxRules"]);
    expect(value(read.inboxRules).map((r) => r.displayName)).toEqual(["flag it"]);

    // Without a map the id goes to the server as it is; Exchange refuses the whole update.
    const refused = await client.applySettings(mailbox, { inboxRules: [kept, unmapped] });
    expect(refused.inboxRules?.ok).toBe(false);
    expect(refused.inboxRules?.failure?.responseCode).toBe("ErrorInboxRulesValidationError");
    const perRule = refused.inboxRules?.entries ?? [];
    expect(perRule.map((e) => e.ok)).toEqual([false, false]);
    expect(perRule[1]?.failure?.message).toContain("FolderDoesNotExist");
    expect(
      value((await client.getSettings(mailbox, ["inboxRules"])).inboxRules).map((r) => r.displayName),
    ).toEqual(["flag it"]);
  });
});
