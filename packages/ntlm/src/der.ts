// The little DER (X.690) that SPNEGO tokens and a certificate's signature algorithm need: read one
// tag-length-value, write one. Definite lengths only, as DER requires.
import { NtlmError } from "./errors.js";

export interface Tlv {
  readonly tag: number;
  readonly value: Buffer;
  /** Offset just past this element in the buffer it was read from. */
  readonly end: number;
}

export function readTlv(
  buf: Buffer,
  at: number,
  code: "NTLM_SPNEGO_MALFORMED" | "NTLM_MALFORMED" = "NTLM_SPNEGO_MALFORMED",
): Tlv {
  const fail = () => new NtlmError(code, "invalid DER");
  if (at + 2 > buf.length) throw fail();
  const tag = buf[at] as number;
  let length = buf[at + 1] as number;
  let start = at + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0 || octets > 4 || start + octets > buf.length) throw fail();
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + (buf[start + i] as number);
    start += octets;
  }
  if (start + length > buf.length) throw fail();
  return { tag, value: buf.subarray(start, start + length), end: start + length };
}

/** Every element inside a constructed value. */
export function readAll(value: Buffer, code?: "NTLM_SPNEGO_MALFORMED" | "NTLM_MALFORMED"): Tlv[] {
  const out: Tlv[] = [];
  for (let at = 0; at < value.length; ) {
    const tlv = readTlv(value, at, code);
    out.push(tlv);
    at = tlv.end;
  }
  return out;
}

export function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const value = Buffer.concat(parts);
  const n = value.length;
  let length: Buffer;
  if (n < 0x80) length = Buffer.from([n]);
  else if (n < 0x100) length = Buffer.from([0x81, n]);
  else if (n < 0x10000) length = Buffer.from([0x82, n >> 8, n & 0xff]);
  else length = Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, value]);
}

/** Dotted form of an OBJECT IDENTIFIER's content octets. */
export function oidToString(value: Buffer): string {
  if (value.length === 0) return "";
  const first = value[0] as number;
  const arcs = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40];
  let n = 0;
  for (let i = 1; i < value.length; i++) {
    const b = value[i] as number;
    n = n * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(n);
      n = 0;
    }
  }
  return arcs.join(".");
}
