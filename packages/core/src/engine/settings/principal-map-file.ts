// The principal map of a settings restore into another mailbox or organisation: a CSV file of
// `old,new` SMTP address pairs that restoreSettings() uses to rewrite the users named in folder
// permissions, delegates and rule recipients. It is read and checked whole before anything is
// written, so a mistake in it is one error naming its line, never a half-restored mailbox.
//
// Format (docs/settings.md, packages/cli/README.md): UTF-8 (a byte-order mark is tolerated), one
// `old,new` pair a line, fields may be quoted as in RFC 4180, an optional first line `old,new`,
// lines starting with `#` and blank lines ignored. Keys are lower-cased (SMTP addresses compare
// case-insensitively in Exchange); targets keep their spelling.
import { open } from "node:fs/promises";
import { EwsVaultError } from "@ewsvault/mailbox";
import { CsvError, parse } from "csv-parse/sync";

/** Largest principal map read (bytes): a map of every user of a big organisation is far smaller. */
export const PRINCIPAL_MAP_MAX_BYTES = 10 * 1024 * 1024;

/** Longest quoted value in an error message, so a hostile file cannot flood the terminal. */
const QUOTE_LIMIT = 80;

/**
 * Reads and parses the principal map at `path`.
 * MUST throw EwsVaultError SETTINGS_PRINCIPAL_MAP_INVALID (details: path, and line where one is
 * at fault) when the file cannot be read, is not a regular file, is larger than `maxBytes`, is
 * not UTF-8, or its content is refused by parsePrincipalMap().
 */
export async function readPrincipalMapFile(
  path: string,
  options: { readonly maxBytes?: number } = {},
): Promise<ReadonlyMap<string, string>> {
  const maxBytes = options.maxBytes ?? PRINCIPAL_MAP_MAX_BYTES;
  const bytes = await readCapped(path, maxBytes);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (cause) {
    throw invalid(path, undefined, "is not UTF-8 text", cause);
  }
  return parsePrincipalMap(text, path);
}

/**
 * Parses principal map text (see the header for the format); `source` names it in errors.
 * Returns old address (lower-case) -> new address.
 * MUST throw EwsVaultError SETTINGS_PRINCIPAL_MAP_INVALID naming the line when a line does not
 * have exactly two fields, a field is not an SMTP address, an old address is mapped twice to
 * different targets, the CSV quoting is broken, or the text holds no pair at all.
 */
export function parsePrincipalMap(text: string, source = "principal map"): ReadonlyMap<string, string> {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    // csv-parse's typings do not model `info: true`, which wraps each record with its position.
    records = parse(text, {
      bom: true,
      comment: "#",
      // `#` may occur in an address's local part: only whole lines are comments.
      comment_no_infix: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
      info: true,
    }) as unknown as typeof records;
  } catch (cause) {
    const line = cause instanceof CsvError && typeof cause.lines === "number" ? cause.lines : undefined;
    throw invalid(source, line, "is not valid CSV (an unclosed or misplaced quote?)", cause);
  }
  const map = new Map<string, string>();
  const lineOf = new Map<string, number>();
  let first = true;
  for (const { record, info } of records) {
    const line = info.lines;
    if (record.every((field) => field === "")) continue;
    if (first && record.length === 2 && isHeader(record[0]!, record[1]!)) {
      first = false;
      continue;
    }
    first = false;
    if (record.length !== 2)
      throw invalid(source, line, `has ${record.length} fields; expected two: old,new`);
    const [oldAddress, newAddress] = record as [string, string];
    for (const address of [oldAddress, newAddress])
      if (!isSmtpAddress(address)) throw invalid(source, line, `${quote(address)} is not an SMTP address`);
    const key = oldAddress.toLowerCase();
    const earlier = map.get(key);
    if (earlier !== undefined && earlier.toLowerCase() !== newAddress.toLowerCase())
      throw invalid(
        source,
        line,
        `maps ${quote(oldAddress)} to ${quote(newAddress)}, but line ${lineOf.get(key)} maps it to ${quote(earlier)}`,
      );
    if (earlier === undefined) {
      map.set(key, newAddress);
      lineOf.set(key, line);
    }
  }
  if (map.size === 0) throw invalid(source, undefined, "holds no old,new pair");
  return map;
}

function isHeader(a: string, b: string): boolean {
  return a.toLowerCase() === "old" && b.toLowerCase() === "new";
}

// The WHATWG "valid e-mail address" form: what an Exchange SMTP address can be, without quoted
// local parts or address literals, which Exchange does not issue.
const SMTP_ADDRESS =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$/;

/** True for an SMTP address (local@domain.tld, at most 320 characters as RFC 5321 allows). */
export function isSmtpAddress(value: string): boolean {
  return value.length <= 320 && SMTP_ADDRESS.test(value);
}

async function readCapped(path: string, maxBytes: number): Promise<Uint8Array> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch (cause) {
    throw invalid(path, undefined, `cannot be read (${codeOf(cause)})`, cause);
  }
  try {
    const stat = await handle.stat();
    // A FIFO or device would block or never end; a directory is a typo.
    if (!stat.isFile()) throw invalid(path, undefined, "is not a regular file");
    if (stat.size > maxBytes) throw invalid(path, undefined, `is larger than ${maxBytes} bytes`);
    // Read one byte past the cap, so a file that grew after stat() is still refused.
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) throw invalid(path, undefined, `is larger than ${maxBytes} bytes`);
    }
    return buffer.subarray(0, length);
  } catch (cause) {
    if (cause instanceof EwsVaultError) throw cause;
    throw invalid(path, undefined, `cannot be read (${codeOf(cause)})`, cause);
  } finally {
    await handle.close();
  }
}

function invalid(source: string, line: number | undefined, what: string, cause?: unknown): EwsVaultError {
  const where = line === undefined ? source : `${source} line ${line}`;
  return new EwsVaultError("SETTINGS_PRINCIPAL_MAP_INVALID", `principal map ${where} ${what}`, {
    ...(cause === undefined ? {} : { cause }),
    details: { source, ...(line === undefined ? {} : { line }) },
  });
}

function quote(value: string): string {
  return JSON.stringify(value.length > QUOTE_LIMIT ? `${value.slice(0, QUOTE_LIMIT)}…` : value);
}

function codeOf(error: unknown): string {
  return error instanceof Error && "code" in error && typeof error.code === "string" ? error.code : "error";
}
