import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isServiceError, SERVICE_ERROR_CODES, ServiceError } from "../src/index.js";

describe("service error codes", () => {
  it("are all documented in the README, and the README documents no other SERVICE_ code", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const documented = new Set(readme.match(/\bSERVICE_[A-Z_]+\b/g));
    expect([...documented].sort()).toEqual([...SERVICE_ERROR_CODES].sort());
  });

  it("carry code, cause and details", () => {
    const cause = new Error("inner");
    const error = new ServiceError("SERVICE_INVALID_CRON", "bad", { cause, details: { set: "s" } });
    expect(isServiceError(error, "SERVICE_INVALID_CRON")).toBe(true);
    expect(isServiceError(error, "SERVICE_NO_MAILBOXES")).toBe(false);
    expect(error.cause).toBe(cause);
    expect(error.details).toEqual({ set: "s" });
  });
});
