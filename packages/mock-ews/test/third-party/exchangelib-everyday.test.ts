// Everyday Python exchangelib use against the mock (Debian's python3-exchangelib, unmodified),
// driven by exchangelib_everyday.py: queryset idioms and paging, bulk operations, folder
// management and navigation, sending (CreateItem send dispositions, SendItem, UpdateItem with a
// send disposition, replies and forwards), change-key conflicts, missing ids and the sync
// iterators. exchangelib.test.ts covers the item types' fields. Installs the package when it is
// missing and fails (never skips) when it cannot.
import { fileURLToPath } from "node:url";
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { ensurePythonModule, runPythonChecks } from "@ewsvault/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const SCRIPT = fileURLToPath(new URL("./exchangelib_everyday.py", import.meta.url));

type Checks = Record<string, Record<string, unknown>>;

describe("exchangelib (python3-exchangelib) everyday use against the mock", () => {
  let server: MockEwsServer;
  let checks: Checks;

  beforeAll(async () => {
    ensurePythonModule("exchangelib", "python3-exchangelib");
    server = await startMockEwsServer({ seed: 11, mailboxes: 2, itemsPerMailbox: 20 });
    const [mailbox, colleague] = server.mailboxes;
    checks = await runPythonChecks<Checks>(
      SCRIPT,
      [server.url, server.credentials.username, mailbox!, colleague!],
      { env: { MOCK_EWS_PASSWORD: server.credentials.password }, maxBuffer: 16 << 20 },
    );
  }, 900_000);

  afterAll(async () => {
    await server?.stop();
  });

  const ok = (name: string) => {
    const result = checks[name]!;
    expect(result, `${name}: ${String(result?.error)}\n${String(result?.trace)}`).not.toHaveProperty("error");
    return result;
  };
  const qs = (...n: number[]) => n.map((i) => `qs ${String(i).padStart(2, "0")}`);

  it("slices, pages, counts and projects querysets; get raises DoesNotExist / MultipleObjectsReturned", () => {
    expect(ok("queryset")).toEqual({
      count: 23,
      exists: true,
      none_exists: false,
      newest: qs(22, 21, 20, 19, 18),
      middle: qs(8, 9, 10, 11, 12),
      tail: qs(19, 20, 21, 22),
      across: qs(2, 3, 4, 5, 6, 7, 8, 9),
      walked: qs(...Array.from({ length: 23 }, (_, i) => i)),
      flat: qs(0, 1, 2),
      pairs: [
        ["qs 00", false],
        ["qs 01", false],
      ],
      dicts: [{ subject: "qs 00" }],
      only: ["qs 00", null],
      one: "qs 07",
      missing: "DoesNotExist",
      several: "MultipleObjectsReturned",
      exclude: 13,
      in: qs(1, 2),
    });
  });

  it("filters on date ranges, comparisons, negation and substrings", () => {
    expect(ok("ranges")).toEqual({ in_range: 3, before_range: 0, gte: 3, lt: 0, not_equal: 2, contains: 3 });
  });

  it("bulk-creates, -updates, -moves, -copies and -deletes; deletes a filtered queryset", () => {
    expect(ok("bulk")).toEqual({
      created: 6,
      updated: 3,
      read: 3,
      moved: 2,
      copied: 1,
      drafts_left: ["bulk 00", "bulk 01", "bulk 02", "bulk 05"],
      inbox: ["bulk 03", "bulk 04", "bulk 05"],
      deleted: [true, true, true, true],
      drafts_after: 0,
      inbox_after: 0,
    });
  });

  it("copies, moves to Deleted Items and soft-deletes single items", () => {
    expect(ok("item_moves")).toEqual({
      copy_is_id: true,
      drafts: ["mv 00"],
      inbox: ["mv 00"],
      trash: ["mv 01"],
      recoverable: ["mv 02"],
      moved_folder: "Deleted Items",
    });
  });

  it("creates, navigates, counts, renames, empties, wipes and deletes folders", () => {
    expect(ok("folders")).toEqual({
      children: ["Sub One"],
      by_path: "Sub One",
      via_root: "Everyday Projects",
      glob: ["Everyday Projects"],
      counts: [4, 4],
      counts_after: [3, 2],
      renamed: "Everyday Renamed",
      emptied: [0, 1],
      wiped: [0, 0],
      gone: [],
    });
  });

  it("sends new messages with the sender stamped; internal recipients (Bcc too) get a copy", () => {
    expect(ok("send")).toEqual({
      inbox: ["sent and saved", "sent only"],
      sent: ["sent and saved", "sent only"],
      unread: false,
      from: server.mailboxes[0],
      to: [server.mailboxes[0]],
    });
    const colleagueInbox = server.listItems(server.mailboxes[1]!, "inbox").map((id) => server.getItem(id));
    const bcc = colleagueInbox.filter((d) => d.subject === "sent only");
    expect(bcc).toHaveLength(1);
    // A recipient's copy does not show the Bcc line.
    expect(bcc[0]!.bccRecipients).toEqual([]);
    expect(bcc[0]!.isRead).toBe(false);
  });

  it("keeps IsDraft as Exchange does; sends saved drafts (SendItem, UpdateItem with SendAndSaveCopy) to Sent Items", () => {
    expect(ok("draft_send")).toEqual({
      // Saved unsent: a draft; sent: not; created with PidTagMessageFlags = mfRead: not.
      is_draft: [true, false, false],
      flags: [1, true],
      by_flag: [1, 1],
      drafts: 0,
      sent: 1,
      inbox: 1,
      sent_read: true,
      sent_from: server.mailboxes[0],
      has_sent_time: true,
      has_message_id: true,
      updated_sent: [0, 1, 1],
    });
  });

  it("replies and forwards (CreateItem response objects), sent or saved as a draft", () => {
    expect(ok("reply")).toEqual({
      conversation: [true, true, true],
      reply_to: [server.mailboxes[0]],
      reply_body: [true, true],
      forward_body: [true, true],
      reply_in_inbox: 1,
      reply_sent: 1,
      forward_in_inbox: 1,
      draft: 1,
      draft_id: true,
    });
  });

  it("replies to all, sends drafts in bulk, marks as junk and back, fetches only some fields", () => {
    expect(ok("more_mail")).toEqual({
      // exchangelib names the author among the To recipients itself; the Cc keeps the colleague.
      reply_all: [[server.mailboxes[0], "x@example.test"].sort(), [server.mailboxes[1]]],
      bulk_send: [[true, true], 2, 0],
      junk: [1, 0, 1],
      fetch_only: ["spam?", null],
    });
  });

  it("updates tasks (CompleteDate stamped on completion), contacts and calendar items with update_fields", () => {
    expect(ok("updates")).toEqual({
      task: ["Completed", 100, true, true],
      errand: ["Completed", 100, true],
      contact: ["Rear Admiral", "Navy", "Grace Hopper"],
      view: [["everyday meeting (room)", "Room 1", "2032-05-04T10:00:00+00:00"]],
    });
  });

  it("cancels the organizer's meeting; the organizer's own accept is refused as Exchange refuses it", () => {
    expect(ok("meetings")).toEqual({
      accept_own: "ErrorCalendarIsOrganizerForAccept",
      calendar: 0,
      trash: 1,
    });
    const colleagueInbox = server
      .listItems(server.mailboxes[1]!, "inbox")
      .map((id) => server.getItem(id).subject);
    expect(colleagueInbox).toContain("Canceled: everyday sync-up");
  });

  it("refreshes an item and refuses a stale change key with NeverOverwrite", () => {
    expect(ok("refresh_conflict")).toEqual({
      refreshed: ["stale v2", true],
      conflict: "ErrorIrresolvableConflict",
      kept: "stale v2",
    });
  });

  it("fetches ids in bulk, a deleted one as ErrorItemNotFound in its place", () => {
    expect(ok("fetch_missing")).toEqual({
      first: "fm 00",
      second: "ErrorItemNotFound",
      is_item_not_found: true,
    });
  });

  it("follows item and hierarchy changes with sync_items / sync_hierarchy", () => {
    expect(ok("sync")).toEqual({
      creates: [
        ["create", "sy 00"],
        ["create", "sy 01"],
        ["create", "sy 02"],
      ],
      changes: [
        ["delete", null],
        ["update", "sy 01 changed"],
      ],
      hier_has: true,
      later: [["create", "Sync Child"]],
    });
  });
});
