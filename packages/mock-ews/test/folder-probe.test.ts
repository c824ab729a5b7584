// The per-folder change markers a client reads to skip SyncFolderItems for unchanged folders:
// PidTagLocalCommitTimeMax (0x670A) and PidTagDeletedCountTotal (0x670B) as extended
// properties of GetFolder, next to TotalCount and UnreadCount. They must move on every item
// change that SyncFolderItems would report as Create/Update/Delete, and a read-flag change
// must show in UnreadCount instead. Responses validate against messages.xsd.
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { soap } from "./helpers.js";
import { schemaFailures } from "./schema-recorder.js";

interface Probe {
  commitTimeMax: string | undefined;
  deletedCountTotal: number | undefined;
  totalCount: number | undefined;
  unreadCount: number | undefined;
}

const PROBE_SHAPE =
  '<m:FolderShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="folder:TotalCount"/><t:FieldURI FieldURI="folder:UnreadCount"/><t:ExtendedFieldURI PropertyTag="0x670A" PropertyType="SystemTime"/><t:ExtendedFieldURI PropertyTag="0x670B" PropertyType="Integer"/></t:AdditionalProperties></m:FolderShape>';

describe("folder change markers (GetFolder 0x670A / 0x670B / TotalCount / UnreadCount)", () => {
  let server: MockEwsServer;
  let mailbox: string;
  const bodies: string[] = [];

  beforeAll(async () => {
    server = await startMockEwsServer({ seed: 5, mailboxes: 1, itemsPerMailbox: 40 });
    mailbox = server.mailboxes[0]!;
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function probe(...folderIds: string[]): Promise<Probe[]> {
    const result = await soap(
      server,
      `<m:GetFolder>${PROBE_SHAPE}<m:FolderIds>${folderIds.map((id) => `<t:FolderId Id="${id}"/>`).join("")}</m:FolderIds></m:GetFolder>`,
    );
    expect(result.status).toBe(200);
    bodies.push(result.body);
    const folders = [
      ...result.body.matchAll(
        /<t:(?:Folder|CalendarFolder|ContactsFolder|TasksFolder)>([\s\S]*?)<\/t:(?:Folder|CalendarFolder|ContactsFolder|TasksFolder)>/g,
      ),
    ];
    expect(folders).toHaveLength(folderIds.length);
    return folders.map(([, inner]) => {
      const ext = (tag: string) =>
        new RegExp(`PropertyTag="${tag}"[^>]*/><t:Value>([^<]*)</t:Value>`).exec(inner!)?.[1];
      const num = (name: string) => {
        const m = new RegExp(`<t:${name}>(\\d+)</t:${name}>`).exec(inner!);
        return m === null ? undefined : Number(m[1]);
      };
      const deleted = ext("0x670B");
      return {
        commitTimeMax: ext("0x670A"),
        deletedCountTotal: deleted === undefined ? undefined : Number(deleted),
        totalCount: num("TotalCount"),
        unreadCount: num("UnreadCount"),
      };
    });
  }

  it("moves on create, modify, move and delete; a read-flag change moves only UnreadCount", async () => {
    const inbox = server.folderId(mailbox, "inbox");
    const other = server.folderId(mailbox, server.addFolder(mailbox, "msgfolderroot", "Probe target"));
    const [inbox0, other0] = await probe(inbox, other);
    expect(inbox0!.commitTimeMax).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(inbox0!.deletedCountTotal).toBe(0);
    expect(other0!.totalCount).toBe(0);

    // Nothing changed: the same values twice.
    expect(await probe(inbox, other)).toEqual([inbox0, other0]);

    const created = server.addItem(mailbox, "inbox", {
      ...server.getItem(server.listItems(mailbox, "inbox")[0]!),
      isRead: true,
    });
    const [inbox1] = await probe(inbox);
    expect(inbox1!.commitTimeMax! > inbox0!.commitTimeMax!).toBe(true);
    expect(inbox1!.totalCount).toBe(inbox0!.totalCount! + 1);

    server.modifyItem(created, { subject: "edited" });
    const [inbox2] = await probe(inbox);
    expect(inbox2!.commitTimeMax! > inbox1!.commitTimeMax!).toBe(true);
    expect(inbox2!.totalCount).toBe(inbox1!.totalCount);

    // Read flag only: commit time and deleted count stay, UnreadCount moves.
    server.modifyItem(created, { isRead: false });
    const [inbox3] = await probe(inbox);
    expect(inbox3!.commitTimeMax).toBe(inbox2!.commitTimeMax);
    expect(inbox3!.deletedCountTotal).toBe(inbox2!.deletedCountTotal);
    expect(inbox3!.unreadCount).toBe(inbox2!.unreadCount! + 1);

    const moved = server.moveItem(created, other);
    const [inbox4, other4] = await probe(inbox, other);
    expect(inbox4!.commitTimeMax! > inbox3!.commitTimeMax!).toBe(true);
    expect(inbox4!.deletedCountTotal).toBe(inbox3!.deletedCountTotal! + 1);
    expect(other4!.commitTimeMax! > other0!.commitTimeMax!).toBe(true);
    expect(other4!.totalCount).toBe(1);

    server.deleteItem(moved);
    const [other5] = await probe(other);
    expect(other5!.commitTimeMax! > other4!.commitTimeMax!).toBe(true);
    expect(other5!.deletedCountTotal).toBe(1);
    expect(other5!.totalCount).toBe(0);
  });

  it("changes in quick succession never share a commit time", async () => {
    const inbox = server.folderId(mailbox, "inbox");
    const item = server.listItems(mailbox, "inbox")[1]!;
    const seen = new Set<string>();
    for (let i = 0; i < 5; i++) {
      server.modifyItem(item, { subject: `rapid ${i}` });
      const [p] = await probe(inbox);
      seen.add(p!.commitTimeMax!);
    }
    expect(seen.size).toBe(5);
  });

  it("answers many folders in one request, schema-valid", async () => {
    const folderIds = ["inbox", "sentitems", "calendar", "contacts", "tasks", "notes", "drafts"].map((name) =>
      server.folderId(mailbox, name),
    );
    const probes = await probe(...folderIds);
    for (const p of probes) {
      expect(p.commitTimeMax).toBeDefined();
      expect(p.deletedCountTotal).toBeDefined();
      expect(p.totalCount).toBeDefined();
    }
    const failures = await schemaFailures(bodies.map((body, index) => ({ name: `probe ${index}`, body })));
    expect(failures).toEqual([]);
    expect(bodies.length).toBeGreaterThan(5);
  });
});
