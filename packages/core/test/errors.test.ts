import { EwsVaultError, isEwsVaultError } from "@ewsvault/core";
import { describe, expect, it } from "vitest";

describe("EwsVaultError", () => {
  it("carries a stable code and cause", () => {
    const cause = new Error("inner");
    const error = new EwsVaultError("REPO_CORRUPT", "pack damaged", { cause, details: { name: "p" } });
    expect(isEwsVaultError(error, "REPO_CORRUPT")).toBe(true);
    // @ts-expect-error a code outside the ErrorCode table does not compile
    expect(isEwsVaultError(error, "OTHER")).toBe(false);
    expect(error.cause).toBe(cause);
    expect(error.details).toEqual({ name: "p" });
  });
});
