// The principal map file (old,new SMTP pairs) of a settings restore: what it accepts (header,
// comments, blank lines, quotes, BOM, case), and that every malformed or hostile file is one
// SETTINGS_PRINCIPAL_MAP_INVALID naming the line at fault, never a partial map.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isSmtpAddress, parsePrincipalMap, readPrincipalMapFile } from "@ewsvault/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "principal-map-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The error parsePrincipalMap throws for `text` (fails the test when it throws none). */
function refusal(text: string): { code: string; message: string; details: Record<string, unknown> } {
  try {
    parsePrincipalMap(text, "map.csv");
  } catch (error) {
    return error as { code: string; message: string; details: Record<string, unknown> };
  }
  throw new Error("expected the map to be refused");
}

describe("parsePrincipalMap", () => {
  it("reads pairs with a header, comments, blank lines, quotes, spaces and a BOM; keys lower-case", () => {
    const map = parsePrincipalMap(
      '\uFEFFold,new\n# colleagues moving to fabrikam\n\nAlice@Contoso.test,alice@fabrikam.test\r\n  bob@contoso.test , Bob.Smith@Fabrikam.test\n"carol+x@contoso.test","carol@fabrikam.test"\n   \n',
    );
    expect([...map]).toEqual([
      ["alice@contoso.test", "alice@fabrikam.test"],
      ["bob@contoso.test", "Bob.Smith@Fabrikam.test"],
      ["carol+x@contoso.test", "carol@fabrikam.test"],
    ]);
  });

  it("takes a file without a header, and the same pair twice (any case) once", () => {
    const map = parsePrincipalMap("a@x.test,b@y.test\nA@X.TEST,B@Y.test\n");
    expect([...map]).toEqual([["a@x.test", "b@y.test"]]);
  });

  it("accepts '#' inside an address: only whole lines are comments", () => {
    expect(parsePrincipalMap("a#1@x.test,b@y.test").get("a#1@x.test")).toBe("b@y.test");
  });

  it.each([
    ["one field", "a@x.test,b@y.test\nc@x.test\n", 2, "1 fields"],
    ["three fields", "a@x.test,b@y.test,c@z.test\n", 1, "3 fields"],
    ["not an address (old)", "# head\nalice,b@y.test\n", 2, '"alice" is not an SMTP address'],
    ["not an address (new)", "a@x.test,b@\n", 1, '"b@" is not an SMTP address'],
    ["an empty field", "a@x.test,\n", 1, '"" is not an SMTP address'],
    ["a header anywhere but first", "a@x.test,b@y.test\nold,new\n", 2, '"old" is not an SMTP address'],
    ["an address with a control character", "a\u0007@x.test,b@y.test\n", 1, "not an SMTP address"],
    ["an unclosed quote", 'a@x.test,b@y.test\n"c@x.test,d@y.test\n', 2, "not valid CSV"],
  ])("refuses %s, naming the line", (_name, text, line, what) => {
    const error = refusal(text);
    expect(error.code).toBe("SETTINGS_PRINCIPAL_MAP_INVALID");
    expect(error.details.line).toBe(line);
    expect(error.message).toContain(`map.csv line ${line}`);
    expect(error.message).toContain(what);
  });

  it("refuses an old address mapped to two targets, naming both lines", () => {
    const error = refusal("a@x.test,b@y.test\n\nA@x.test,c@y.test\n");
    expect(error.code).toBe("SETTINGS_PRINCIPAL_MAP_INVALID");
    expect(error.details.line).toBe(3);
    expect(error.message).toContain("line 1");
  });

  it.each([
    ["empty", ""],
    ["only a BOM", "\uFEFF"],
    ["only a header", "old,new\n"],
    ["only comments and blanks", "# nothing yet\n\n  \n"],
  ])("refuses a map that is %s", (_name, text) => {
    const error = refusal(text);
    expect(error.code).toBe("SETTINGS_PRINCIPAL_MAP_INVALID");
    expect(error.message).toContain("no old,new pair");
  });

  it("quotes at most 80 characters of a hostile value, escaped", () => {
    const error = refusal(`${"\u001b[31m".repeat(1000)},b@y.test`);
    expect(error.message.length).toBeLessThan(300);
    expect(error.message).not.toContain("\u001b");
  });

  it("isSmtpAddress takes Exchange addresses and nothing else", () => {
    for (const ok of ["a@b.test", "first.last+tag@sub.example.org", "o'neil@x.co"])
      expect(isSmtpAddress(ok)).toBe(true);
    for (const bad of [
      "",
      "a",
      "a@b",
      "@b.test",
      "a@@b.test",
      "a b@c.test",
      "a@-b.test",
      `${"a".repeat(320)}@b.test`,
    ])
      expect(isSmtpAddress(bad)).toBe(false);
  });
});

describe("readPrincipalMapFile", () => {
  const codeOf = async (promise: Promise<unknown>) => {
    try {
      await promise;
    } catch (error) {
      return error as { code: string; message: string };
    }
    throw new Error("expected the file to be refused");
  };

  it("reads a UTF-8 file with a BOM and CRLF lines", async () => {
    const path = join(dir, "ok.csv");
    await writeFile(path, "\uFEFFold,new\r\nalice@contoso.test,alice@fabrikam.test\r\n");
    expect([...(await readPrincipalMapFile(path))]).toEqual([["alice@contoso.test", "alice@fabrikam.test"]]);
  });

  it("refuses a missing file, a directory, a file over the cap and bytes that are not UTF-8", async () => {
    const big = join(dir, "big.csv");
    await writeFile(big, "a@x.test,b@y.test\n".repeat(100));
    const latin1 = join(dir, "latin1.csv");
    await writeFile(
      latin1,
      Buffer.from([0x61, 0xe9, 0x40, 0x78, 0x2e, 0x74, 0x2c, 0x62, 0x40, 0x79, 0x2e, 0x74]),
    );
    await mkdir(join(dir, "folder.csv"));
    // Thunks, not promises: a promise made before the loop awaits it rejects unobserved.
    const cases: [() => Promise<unknown>, string][] = [
      [() => readPrincipalMapFile(join(dir, "absent.csv")), "cannot be read (ENOENT)"],
      [() => readPrincipalMapFile(join(dir, "folder.csv")), "not a regular file"],
      [() => readPrincipalMapFile(big, { maxBytes: 1000 }), "larger than 1000 bytes"],
      [() => readPrincipalMapFile(latin1), "not UTF-8"],
    ];
    for (const [read, what] of cases) {
      const error = await codeOf(read());
      expect(error.code).toBe("SETTINGS_PRINCIPAL_MAP_INVALID");
      expect(error.message).toContain(what);
    }
  });

  it("refuses a file of 10 MiB and more by default without parsing it", async () => {
    const path = join(dir, "huge.csv");
    await writeFile(path, Buffer.alloc(10 * 1024 * 1024 + 1, 0x61));
    const error = await codeOf(readPrincipalMapFile(path));
    expect(error.code).toBe("SETTINGS_PRINCIPAL_MAP_INVALID");
    expect(error.message).toContain(`larger than ${10 * 1024 * 1024} bytes`);
  });
});
