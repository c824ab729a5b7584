// Settings kinds a server lacks or refuses: the backup stores and reports those per mailbox and
// backs up the rest (items and the other kinds); the status says which failures need attention.
// Also: `settings: false` and snapshots without settings; a target that cannot write settings.
// The source is the EWS client against mock-ews, wrapped so that chosen kinds fail as the port
// says an older or locked-down Exchange answers (the EWS client's own classification of those
// answers is tested in packages/ews/test/settings-refusal.test.ts).
import {
  backup,
  type MailboxSettingsRead,
  type MailboxSource,
  readSnapshotSettings,
  restoreSettings,
  type SettingsFailure,
  type SettingsKind,
} from "@ewsvault/core";
import type { EwsClient } from "@ewsvault/ews";
import { MemoryExchange } from "@ewsvault/mailbox/testing";
import type { FaultRule, MockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createEngineFixture, type EngineFixture } from "../support/engine-fixture.js";
import { startMockEwsClient } from "../support/mock-ews-client.js";

let server: MockEwsServer;
let client: EwsClient;
let storage: EngineFixture;

const UNSUPPORTED: SettingsFailure = {
  code: "EWS_OPERATION_UNSUPPORTED",
  message: "The request failed schema validation",
  responseCode: "ErrorSchemaValidation",
};
const DENIED: SettingsFailure = {
  code: "EWS_ACCESS_DENIED",
  message: "denied",
  responseCode: "ErrorAccessDenied",
};

/** The client, whose getSettings answers `failing` kinds with their failure (or rejects with `reject`). */
function sourceWith(failing: Partial<Record<SettingsKind, SettingsFailure>>, reject?: Error): MailboxSource {
  const getSettings = async (
    mailbox: string,
    kinds: readonly SettingsKind[],
    options?: Parameters<NonNullable<MailboxSource["getSettings"]>>[2],
  ): Promise<MailboxSettingsRead> => {
    if (reject !== undefined) throw reject;
    const read = await client.getSettings(
      mailbox,
      kinds.filter((k) => failing[k] === undefined),
      options,
    );
    const out: Record<string, unknown> = { ...read };
    for (const [kind, failure] of Object.entries(failing)) out[kind] = { ok: false, ...failure };
    return out as MailboxSettingsRead;
  };
  return new Proxy(client, {
    get(target, property) {
      if (property === "getSettings") return getSettings;
      const v = Reflect.get(target, property, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

beforeAll(async () => {
  ({ server, client } = await startMockEwsClient({ seed: 1617, mailboxes: 2, itemsPerMailbox: 3 }));
});

beforeEach(async () => {
  storage = await createEngineFixture();
});

afterEach(async () => {
  await storage?.close();
});

afterAll(async () => {
  await client?.close();
  await server?.stop();
});

async function backupWith(source: MailboxSource, settings?: boolean) {
  const report = await backup({
    repository: storage.repository,
    source,
    mailboxes: [server.mailboxes[0]!],
    indexDirectory: storage.indexDirectory,
    ...(settings === undefined ? {} : { settings }),
  });
  return report.mailboxes[0]!;
}

describe("settings a server lacks or refuses", () => {
  it("an unsupported kind and a denied one are stored and reported per mailbox; items and the rest are backed up", async () => {
    const mailbox = await backupWith(sourceWith({ inboxRules: UNSUPPORTED, delegates: DENIED }));
    expect(mailbox.status).toBe("completed-with-warnings");
    expect(mailbox.items).toBeGreaterThan(0);
    expect(mailbox.failedItems).toEqual([]);
    expect(mailbox.settings?.stored).toEqual(["oof", "folderPermissions", "userConfigurations"]);
    expect(mailbox.settings?.failures).toEqual([
      { kind: "inboxRules", ...UNSUPPORTED },
      { kind: "delegates", ...DENIED },
    ]);
    expect(mailbox.warnings?.map((w) => w.code)).toEqual(["EWS_OPERATION_UNSUPPORTED", "EWS_ACCESS_DENIED"]);

    const stored = await readSnapshotSettings({
      repository: storage.repository,
      mailbox: server.mailboxes[0]!,
    });
    expect(stored.kinds.inboxRules).toEqual({ ok: false, ...UNSUPPORTED });
    expect(stored.kinds.delegates).toEqual({ ok: false, ...DENIED });
    expect(stored.kinds.oof?.ok).toBe(true);

    const restored = await restoreSettings({
      repository: storage.repository,
      target: client,
      mailbox: server.mailboxes[0]!,
      toMailbox: server.mailboxes[1]!,
    });
    expect(restored.kinds.inboxRules).toMatchObject({ ok: false, failure: { code: "SETTINGS_NOT_STORED" } });
    expect(restored.kinds.delegates).toMatchObject({ ok: false, failure: { code: "SETTINGS_NOT_STORED" } });
    expect(restored.kinds.oof?.ok).toBe(true);
    expect(restored.kinds.userConfigurations?.ok).toBe(true);
  });

  /** Backs up the one mailbox of a mock answering `faults`; returns its report and the mock's fault counts. */
  async function backupFaulty(seed: number, faults: readonly FaultRule[]) {
    const faulty = await startMockEwsClient({ seed, mailboxes: 1, itemsPerMailbox: 3, faults });
    try {
      const report = await backup({
        repository: storage.repository,
        source: faulty.client,
        mailboxes: [faulty.server.mailboxes[0]!],
        indexDirectory: storage.indexDirectory,
      });
      return { mailbox: report.mailboxes[0]!, faulted: faulty.server.counters().faulted };
    } finally {
      await faulty.client.close();
      await faulty.server.stop();
    }
  }

  it("a server failing one settings operation outright (HTTP 500): that kind fails, the rest is stored", async () => {
    const { mailbox } = await backupFaulty(1618, [{ kind: "http500", operation: "GetDelegate", rate: 1 }]);
    expect(mailbox.status).toBe("completed-with-warnings");
    expect(mailbox.items).toBeGreaterThan(0);
    expect(mailbox.settings?.stored).toEqual([
      "inboxRules",
      "oof",
      "folderPermissions",
      "userConfigurations",
    ]);
    expect(mailbox.settings?.failures).toEqual([
      expect.objectContaining({ kind: "delegates", code: "EWS_SERVER_ERROR" }),
    ]);
  });

  it("a server that lacks GetInboxRules (ErrorInvalidOperation) and refuses GetDelegate (ErrorAccessDenied): both reported, the rest stored", async () => {
    const { mailbox, faulted } = await backupFaulty(1619, [
      { kind: "invalidOperation", operation: "GetInboxRules", rate: 1 },
      { kind: "accessDenied", operation: "GetDelegate", rate: 1 },
    ]);
    expect(mailbox.status).toBe("completed-with-warnings");
    expect(mailbox.items).toBeGreaterThan(0);
    expect(mailbox.settings?.stored).toEqual(["oof", "folderPermissions", "userConfigurations"]);
    expect(mailbox.settings?.failures.map((f) => [f.kind, f.code])).toEqual([
      ["inboxRules", "EWS_OPERATION_UNSUPPORTED"],
      ["delegates", "EWS_ACCESS_DENIED"],
    ]);
    expect(faulted).toEqual({ invalidOperation: 1, accessDenied: 1 });
  });

  it("only an unsupported kind: a warning, the mailbox completed", async () => {
    const mailbox = await backupWith(sourceWith({ delegates: UNSUPPORTED }));
    expect(mailbox.status).toBe("completed");
    expect(mailbox.warnings?.map((w) => w.code)).toEqual(["EWS_OPERATION_UNSUPPORTED"]);
    expect(mailbox.settings?.stored).toHaveLength(4);
  });

  it("a getSettings that rejects fails every kind, not the mailbox's items", async () => {
    const mailbox = await backupWith(sourceWith({}, new Error("connection reset")));
    expect(mailbox.status).toBe("completed-with-warnings");
    expect(mailbox.items).toBeGreaterThan(0);
    expect(mailbox.settings?.stored).toEqual([]);
    expect(mailbox.settings?.failures.map((f) => [f.kind, f.code])).toEqual(
      (["inboxRules", "oof", "folderPermissions", "delegates", "userConfigurations"] as const).map((k) => [
        k,
        "EWS_SERVER_ERROR",
      ]),
    );
  });

  it("settings: false stores none; such a snapshot (like one from before settings) reads as holding none", async () => {
    const mailbox = await backupWith(client, false);
    expect(mailbox.status).toBe("completed");
    expect(mailbox.settings).toBeUndefined();
    const stored = await readSnapshotSettings({
      repository: storage.repository,
      mailbox: server.mailboxes[0]!,
    });
    expect(stored).toMatchObject({ present: false, kinds: {} });
    const restored = await restoreSettings({
      repository: storage.repository,
      target: client,
      mailbox: server.mailboxes[0]!,
      kinds: ["oof"],
    });
    expect(restored.present).toBe(false);
    expect(restored.kinds.oof).toMatchObject({ ok: false, failure: { code: "SETTINGS_NOT_STORED" } });

    // The next run with settings adds them to an otherwise reused tree.
    const next = await backupWith(client);
    expect(next.settings?.stored).toHaveLength(5);
    const now = await readSnapshotSettings({ repository: storage.repository, mailbox: server.mailboxes[0]! });
    expect(now.present).toBe(true);
    expect(now.snapshotId).toBe(next.snapshotId);
  });

  it("a target that cannot write settings: every kind SETTINGS_TARGET_UNSUPPORTED, nothing thrown", async () => {
    await backupWith(client);
    const restored = await restoreSettings({
      repository: storage.repository,
      target: new MemoryExchange(),
      mailbox: server.mailboxes[0]!,
    });
    expect(Object.keys(restored.kinds)).toHaveLength(5);
    for (const report of Object.values(restored.kinds))
      expect(report).toMatchObject({ ok: false, failure: { code: "SETTINGS_TARGET_UNSUPPORTED" } });
  });
});
