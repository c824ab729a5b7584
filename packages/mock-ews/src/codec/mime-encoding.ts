// Transfer encodings and charsets of the MIME codec (mime-write.ts, mime-parse.ts): base64 in
// 76-column lines, quoted-printable both ways, and the charset decoding of bytes. Byte-level on
// purpose: bodies are large and string-per-byte building is slow.

export const CRLF = "\r\n";
export const utf8 = new TextEncoder();

export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

export function base64Lines(bytes: Uint8Array): string {
  const encoded = base64(bytes);
  const lines: string[] = [];
  for (let i = 0; i < encoded.length; i += 76) lines.push(encoded.slice(i, i + 76));
  return lines.join(CRLF);
}

const HEX = "0123456789ABCDEF";

/**
 * Quoted-printable of UTF-8 text; "\n" becomes a hard line break, a bare "\r" is escaped.
 * Works on bytes into a byte buffer: bodies are large and string-per-byte building is slow.
 */
export function quotedPrintable(text: string): string {
  const input = utf8.encode(text);
  // Worst case: every byte escaped (3x) plus a soft break (3 bytes) every 25 input bytes.
  const out = new Uint8Array(input.length * 4 + 16);
  let o = 0;
  let column = 0;
  for (let i = 0; i < input.length; i++) {
    const byte = input[i]!;
    if (byte === 0x0a) {
      out[o++] = 0x0d;
      out[o++] = 0x0a;
      column = 0;
      continue;
    }
    // Bounds-checked look-ahead: reading past a typed array's end deoptimises the loop.
    const endOfLine = i + 1 === input.length || input[i + 1] === 0x0a;
    const literal =
      (byte >= 33 && byte <= 126 && byte !== 61) || ((byte === 0x20 || byte === 0x09) && !endOfLine);
    const width = literal ? 1 : 3;
    if (column + width > 75) {
      out[o++] = 61;
      out[o++] = 0x0d;
      out[o++] = 0x0a;
      column = 0;
    }
    if (literal) {
      out[o++] = byte;
    } else {
      out[o++] = 61;
      out[o++] = HEX.charCodeAt(byte >> 4);
      out[o++] = HEX.charCodeAt(byte & 15);
    }
    column += width;
  }
  return Buffer.from(out.buffer, 0, o).toString("latin1");
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

export function decodeQuotedPrintable(binary: string): Uint8Array {
  const input = Buffer.from(binary, "latin1");
  const out = new Uint8Array(input.length);
  let o = 0;
  for (let i = 0; i < input.length; i++) {
    const byte = input[i]!;
    if (byte !== 61) {
      out[o++] = byte;
      continue;
    }
    // Soft line break ("=" then optional trailing blanks, then CRLF or LF).
    // Every look-ahead is bounds-checked: reading past a typed array's end deoptimises the loop.
    const length = input.length;
    let j = i + 1;
    while (j < length && (input[j] === 0x20 || input[j] === 0x09)) j++;
    if (j + 1 < length && input[j] === 0x0d && input[j + 1] === 0x0a) {
      i = j + 1;
      continue;
    }
    if (j < length && input[j] === 0x0a) {
      i = j;
      continue;
    }
    const high = i + 1 < length ? hexValue(input[i + 1]!) : -1;
    const low = i + 2 < length ? hexValue(input[i + 2]!) : -1;
    if (high >= 0 && low >= 0) {
      out[o++] = (high << 4) | low;
      i += 2;
    } else {
      out[o++] = byte;
    }
  }
  return out.slice(0, o);
}

export function bytesOf(binary: string): Uint8Array {
  return new Uint8Array(Buffer.from(binary, "latin1"));
}

export function decodeCharset(bytes: Uint8Array, charset: string | undefined): string {
  const label = (charset ?? "utf-8").trim().toLowerCase();
  try {
    return new TextDecoder(label === "us-ascii" || label === "ascii" ? "windows-1252" : label).decode(bytes);
  } catch {
    return new TextDecoder("windows-1252").decode(bytes);
  }
}
