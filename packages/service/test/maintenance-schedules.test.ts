import { describe, expect, it } from "vitest";
import {
  isServiceError,
  maintenanceSchedules,
  readDataSubsetOf,
  type ServiceSetConfig,
} from "../src/index.js";

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isServiceError(error) ? error.code : `not a ServiceError: ${String(error)}`;
  }
  return undefined;
}

const base: ServiceSetConfig = { mailboxes: ["a@x"], schedule: { cron: "0 2 * * *" } };

describe("maintenance schedules", () => {
  it("lists each set's prune and verify schedule, zone defaulting to UTC, sets without them left out", () => {
    expect(
      maintenanceSchedules({
        nightly: {
          ...base,
          retention: { keepLast: 3, prune: { cron: "0 4 * * 0", timezone: "Europe/Berlin" } },
          verify: { cron: " 30 5 * * * ", readDataSubset: "10%" },
        },
        plain: base,
      }),
    ).toEqual([
      { set: "nightly", task: "prune", cron: "0 4 * * 0", timezone: "Europe/Berlin" },
      { set: "nightly", task: "verify", cron: "30 5 * * *", timezone: "UTC" },
    ]);
  });

  it.each([
    ["a verify cron with too few fields", { ...base, verify: { cron: "30 5 * *" } }, "SERVICE_INVALID_CRON"],
    [
      "a prune cron out of range",
      { ...base, retention: { keepLast: 1, prune: { cron: "0 24 * * *" } } },
      "SERVICE_INVALID_CRON",
    ],
    [
      "an unknown zone in prune",
      { ...base, retention: { keepLast: 1, prune: { cron: "0 4 * * 0", timezone: "Nowhere/City" } } },
      "SERVICE_INVALID_TIMEZONE",
    ],
    [
      "an unknown zone in verify",
      { ...base, verify: { cron: "0 4 * * 0", timezone: "Europe/Atlantis" } },
      "SERVICE_INVALID_TIMEZONE",
    ],
    [
      "a read-data subset of 0%",
      { ...base, verify: { cron: "0 4 * * 0", readDataSubset: "0%" } },
      "SERVICE_INVALID_SET",
    ],
    [
      "a read-data subset above 1",
      { ...base, verify: { cron: "0 4 * * 0", readDataSubset: 1.5 } },
      "SERVICE_INVALID_SET",
    ],
    [
      "a read-data subset in words",
      { ...base, verify: { cron: "0 4 * * 0", readDataSubset: "half" } },
      "SERVICE_INVALID_SET",
    ],
  ])("refuses %s", (_label, set, code) => {
    expect(codeOf(() => maintenanceSchedules({ s: set as ServiceSetConfig }))).toBe(code);
  });

  it("reads the subset as the repository takes it", () => {
    expect(readDataSubsetOf("s", undefined)).toBe(false);
    expect(readDataSubsetOf("s", 0.25)).toBe(0.25);
    expect(readDataSubsetOf("s", "12.5%")).toBe("12.5%");
    expect(readDataSubsetOf("s", "100%")).toBe("100%");
    expect(codeOf(() => readDataSubsetOf("s", "101%"))).toBe("SERVICE_INVALID_SET");
  });
});
