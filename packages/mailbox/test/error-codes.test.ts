// docs/error-codes.md and the ERROR_CODES table must list the same codes: a code added to the
// table without documentation (or documented but gone) fails here.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERROR_CODES, EwsVaultError, isErrorCode, isEwsVaultError } from "../src/index.js";

const doc = readFileSync(new URL("../../../docs/error-codes.md", import.meta.url), "utf8");

/** Codes of the doc's table rows: "| `CODE` | meaning |". */
function documentedCodes(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const match of doc.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \| (.+?) \|$/gm)) rows.set(match[1]!, match[2]!);
  return rows;
}

describe("error codes", () => {
  it("docs/error-codes.md documents exactly the codes of ERROR_CODES, each once", () => {
    const documented = documentedCodes();
    const rowCount = [...doc.matchAll(/^\| `[A-Z][A-Z0-9_]+` \|/gm)].length;
    expect(rowCount, "a code is documented twice").toBe(documented.size);
    expect([...documented.keys()].sort()).toEqual(Object.keys(ERROR_CODES).sort());
    for (const [code, meaning] of documented) expect(meaning.trim().length, code).toBeGreaterThan(0);
  });

  it("every code has a one-line meaning", () => {
    for (const [code, meaning] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/);
      expect(meaning.length, code).toBeGreaterThan(10);
      expect(meaning, code).not.toContain("\n");
    }
  });

  it("isErrorCode accepts the table's codes only; a mistyped code does not compile", () => {
    expect(isErrorCode("REPO_CORRUPT")).toBe(true);
    expect(isErrorCode("REPO_CORUPT")).toBe(false);
    expect(isErrorCode("toString")).toBe(false);
    const error = new EwsVaultError("EWS_FOLDER_NOT_FOUND", "gone");
    expect(isEwsVaultError(error, "EWS_FOLDER_NOT_FOUND")).toBe(true);
    // @ts-expect-error a mistyped code is a compile error
    expect(isEwsVaultError(error, "EWS_FOLDER_NOT_FOUD")).toBe(false);
    // @ts-expect-error likewise for the constructor
    expect(new EwsVaultError("EWS_FOLDR_NOT_FOUND", "x").code).toBe("EWS_FOLDR_NOT_FOUND");
  });
});
