import { describe, expect, it } from "vitest";
import {
  assertValidSchedule,
  isServiceError,
  resolveMailboxes,
  type ServiceSetConfig,
  scheduledSets,
} from "../src/index.js";

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isServiceError(error) ? error.code : `not a ServiceError: ${String(error)}`;
  }
  return undefined;
}

const nightly: ServiceSetConfig = {
  mailboxes: ["ann@contoso.com", "Bob@contoso.com", "bob@contoso.com", "room-1@contoso.com"],
  excludeMailboxes: ["room-*"],
  schedule: { cron: "0 2 * * *", timezone: "Europe/Berlin" },
  retention: { keepDaily: 7, keepLast: 2, prune: { cron: "0 4 * * 0" } },
  verify: { cron: "30 5 * * *", readDataSubset: 0.05 },
};

describe("scheduled sets", () => {
  it("resolves mailboxes with excludes (case-insensitive, deduplicated) and keeps schedule and retention", () => {
    const [set, ...rest] = scheduledSets({ nightly, manual: { mailboxes: ["x@contoso.com"] } });
    expect(rest).toEqual([]); // a set without a schedule is not scheduled
    expect(set).toEqual({
      name: "nightly",
      cron: "0 2 * * *",
      timezone: "Europe/Berlin",
      mailboxes: ["ann@contoso.com", "Bob@contoso.com"],
      retention: { keepDaily: 7, keepLast: 2 },
    });
    expect(resolveMailboxes("n", { mailboxes: ["A@x", "a@X"], excludeMailboxes: ["b*"] })).toEqual(["A@x"]);
  });

  it("accepts six-field cron (seconds first) and defaults the zone to UTC", () => {
    const [set] = scheduledSets({ fast: { mailboxes: ["a@x"], schedule: { cron: "*/3 * * * * *" } } });
    expect(set?.timezone).toBe("UTC");
  });

  it.each([
    ["a word", { cron: "every night" }],
    ["too few fields", { cron: "0 3" }],
    ["too many fields", { cron: "0 0 3 * * * 2026" }],
    ["minute out of range", { cron: "61 2 * * *" }],
    ["no cron at all", {} as { cron: string }],
  ])("refuses an invalid cron expression (%s) with SERVICE_INVALID_CRON", (_label, schedule) => {
    expect(codeOf(() => assertValidSchedule(schedule, "set"))).toBe("SERVICE_INVALID_CRON");
    expect(codeOf(() => scheduledSets({ s: { mailboxes: ["a@x"], schedule } }))).toBe("SERVICE_INVALID_CRON");
  });

  it("refuses an unknown time zone with SERVICE_INVALID_TIMEZONE, also in verify and prune schedules", () => {
    const bad = { cron: "0 2 * * *", timezone: "Europe/Atlantis" };
    expect(codeOf(() => scheduledSets({ s: { mailboxes: ["a@x"], schedule: bad } }))).toBe(
      "SERVICE_INVALID_TIMEZONE",
    );
    expect(
      codeOf(() =>
        scheduledSets({ s: { mailboxes: ["a@x"], schedule: { cron: "0 2 * * *" }, verify: bad } }),
      ),
    ).toBe("SERVICE_INVALID_TIMEZONE");
    expect(
      codeOf(() =>
        scheduledSets({
          s: { mailboxes: ["a@x"], schedule: { cron: "0 2 * * *" }, retention: { keepLast: 1, prune: bad } },
        }),
      ),
    ).toBe("SERVICE_INVALID_TIMEZONE");
  });

  it("refuses a scheduled set naming no mailbox, also when its excludes remove them all", () => {
    const schedule = { cron: "0 2 * * *" };
    expect(codeOf(() => scheduledSets({ s: { schedule } }))).toBe("SERVICE_NO_MAILBOXES");
    expect(
      codeOf(() => scheduledSets({ s: { schedule, mailboxes: ["a@x"], excludeMailboxes: ["*"] } })),
    ).toBe("SERVICE_NO_MAILBOXES");
  });

  it("refuses a retention that keeps nothing, and malformed set fields", () => {
    const base = { mailboxes: ["a@x"], schedule: { cron: "0 2 * * *" } };
    expect(codeOf(() => scheduledSets({ s: { ...base, retention: {} } }))).toBe("SERVICE_INVALID_RETENTION");
    expect(codeOf(() => scheduledSets({ s: { ...base, retention: { keepLast: -1 } } }))).toBe(
      "SERVICE_INVALID_RETENTION",
    );
    expect(codeOf(() => scheduledSets({ s: { ...base, mailboxes: "a@x" as unknown as string[] } }))).toBe(
      "SERVICE_INVALID_SET",
    );
    expect(codeOf(() => scheduledSets({ "bad:name": base }))).toBe("SERVICE_INVALID_SET");
  });
});
