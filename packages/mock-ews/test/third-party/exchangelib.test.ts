// A second unmodified third-party client against the mock: Python exchangelib as Debian ships
// it (python3-exchangelib), driven by exchangelib_client.py over http with Basic auth and a
// fixed server build (no autodiscover). The script prints what it saw as JSON; this test
// installs the package when it is missing and fails (never skips) when it cannot.
import { fileURLToPath } from "node:url";
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { ensurePythonModule, runPythonChecks } from "@ewsvault/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const SCRIPT = fileURLToPath(new URL("./exchangelib_client.py", import.meta.url));

type Checks = Record<string, Record<string, unknown>>;

function runClient(server: MockEwsServer): Promise<Checks> {
  return runPythonChecks<Checks>(SCRIPT, [server.url, server.credentials.username, server.mailboxes[0]!], {
    env: { MOCK_EWS_PASSWORD: server.credentials.password },
    maxBuffer: 16 << 20,
  });
}

describe("exchangelib (python3-exchangelib) against the mock", () => {
  let server: MockEwsServer;
  let checks: Checks;

  beforeAll(async () => {
    ensurePythonModule("exchangelib", "python3-exchangelib");
    server = await startMockEwsServer({ seed: 5, mailboxes: 1, itemsPerMailbox: 40 });
    checks = await runClient(server);
  }, 900_000);

  afterAll(async () => {
    await server?.stop();
  });

  const ok = (name: string) => {
    const result = checks[name]!;
    expect(result, `${name}: ${String(result?.error)}\n${String(result?.trace)}`).not.toHaveProperty("error");
    return result;
  };

  it("walks the folder tree", () => {
    const folders = ok("folders");
    expect(folders.inbox).toBe("Inbox");
    expect(folders.has_calendar).toBe(true);
  });

  it("creates, reads, updates (booleans), moves and deletes messages", () => {
    expect(ok("messages")).toEqual({
      subject: "exchangelib one",
      is_read: false,
      categories: ["Red", "Blue"],
      is_read_after: true,
      moved: 1,
      after_delete: 0,
    });
  });

  it("filters with restrictions: categories, is_read, contains, datetime, Q with ~ | &", () => {
    expect(ok("restrictions")).toEqual({
      categories_red: ["alpha report"],
      categories_eq: ["beta Report"],
      unread: ["beta Report", "gamma"],
      contains: ["alpha report", "beta Report"],
      startswith: ["beta Report"],
      not_read_or_red: ["alpha report", "beta Report", "gamma"],
      and_not: ["beta Report"],
      recent: 3,
      future: 0,
      exists: 2,
      ordered: ["gamma", "beta Report", "alpha report"],
    });
  });

  it("sets, reads, filters on and deletes registered extended properties", () => {
    expect(ok("extended")).toEqual({
      lucky: 7,
      tags: ["a", "b"],
      subject_prop: "ext",
      lucky_after: 8,
      flag_after: 2,
      filtered: 1,
      lucky_deleted: null,
    });
  });

  it("keeps contact phone numbers, e-mail and postal addresses by index", () => {
    expect(ok("contacts")).toEqual({
      phones: [
        ["BusinessPhone", "+1 555 0100"],
        ["HomePhone", "+1 555 0101"],
        ["Pager", "+1 555 0102"],
      ],
      emails: ["ada@example.test"],
      address: [["Home", "1 Main St", "London", "N1"]],
      phones_after: [["MobilePhone", "+1 555 0199"]],
      full_save: ["Analyst", "Ada Lovelace", ["ada@example.test"]],
    });
  });

  it("expands a recurring series in a calendar view, with exceptions and deleted occurrences", () => {
    const calendar = ok("calendar");
    expect(calendar.count).toBe(5);
    expect(calendar.types).toEqual(["Occurrence"]);
    expect(calendar.starts).toEqual([2, 3, 4, 5, 6].map((d) => `2031-03-0${d}T09:00:00+00:00`));
    expect(calendar.after).toEqual([
      ["daily standup", "Occurrence"],
      ["moved standup", "Exception"],
      ["daily standup", "Occurrence"],
      ["daily standup", "Occurrence"],
    ]);
    expect(calendar.master_type).toBe("RecurringMaster");
    expect(calendar.deleted_occurrences).toBe(1);
    expect(calendar.limited).toBe(2);
  });

  it("accepts exchangelib's full updates (every writable field, time zones included)", () => {
    expect(ok("full_save")).toEqual({
      start: "2031-04-01T11:00:00+00:00",
      subject: "review (moved)",
      reminder: [true, 45],
      attendees: ["bob@example.test"],
      message: [["X"], "High", true],
    });
  });

  it("pages, fetches, copies, soft-deletes, saves tasks and bulk-updates", () => {
    expect(ok("misc")).toEqual({
      page: ["misc 02", "misc 03", "misc 04"],
      fetched: ["misc 00", "misc 01"],
      high: 3,
      copied: 1,
      after_soft_delete: 6,
      task: ["InProgress", 50],
      bulk_updated: 2,
      read_now: 2,
    });
  });

  it("creates, reads and removes item attachments next to file attachments", () => {
    expect(ok("attachments")).toEqual({
      has_attachments: true,
      names: ["a.txt", "the note"],
      embedded_subject: "embedded note",
      file_content: "file bytes",
      after_attach: 3,
      after_detach: 2,
    });
  });
});
