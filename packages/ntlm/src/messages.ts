// NTLMSSP messages (MS-NLMP 2.2.1): NEGOTIATE, CHALLENGE and AUTHENTICATE, encoded and decoded,
// plus the AV_PAIR list of target information (2.2.2.1). Pure byte layout: no cryptography.
import { NtlmError } from "./errors.js";

export const NtlmFlags = {
  UNICODE: 0x00000001,
  OEM: 0x00000002,
  REQUEST_TARGET: 0x00000004,
  SIGN: 0x00000010,
  SEAL: 0x00000020,
  LM_KEY: 0x00000080,
  NTLM: 0x00000200,
  ANONYMOUS: 0x00000800,
  ALWAYS_SIGN: 0x00008000,
  TARGET_TYPE_DOMAIN: 0x00010000,
  TARGET_TYPE_SERVER: 0x00020000,
  EXTENDED_SESSIONSECURITY: 0x00080000,
  TARGET_INFO: 0x00800000,
  VERSION: 0x02000000,
  KEY_128: 0x20000000,
  KEY_EXCH: 0x40000000,
  KEY_56: 0x80000000,
} as const;

export const AvId = {
  EOL: 0,
  NbComputerName: 1,
  NbDomainName: 2,
  DnsComputerName: 3,
  DnsDomainName: 4,
  DnsTreeName: 5,
  Flags: 6,
  Timestamp: 7,
  SingleHost: 8,
  TargetName: 9,
  ChannelBindings: 10,
} as const;

/** MsvAvFlags bit: the AUTHENTICATE message carries a MIC. */
export const AV_FLAG_MIC_PRESENT = 0x2;

export interface AvPair {
  readonly id: number;
  readonly value: Buffer;
}

const SIGNATURE = Buffer.from("NTLMSSP\0", "latin1");
/** Product version 10.0, build 19041, NTLM revision 15 (what a current Windows client sends). */
export const DEFAULT_VERSION = Buffer.from([0x0a, 0x00, 0x61, 0x4a, 0x00, 0x00, 0x00, 0x0f]);

export interface NegotiateMessage {
  readonly flags: number;
}

export interface ChallengeMessage {
  readonly flags: number;
  readonly serverChallenge: Buffer;
  readonly targetName: string;
  /** The raw target information (AV_PAIR list), echoed by the client in its NTLMv2 response. */
  readonly targetInfo: Buffer;
  readonly version?: Buffer;
}

export interface AuthenticateMessage {
  readonly flags: number;
  readonly lmChallengeResponse: Buffer;
  readonly ntChallengeResponse: Buffer;
  readonly domain: string;
  readonly user: string;
  readonly workstation: string;
  readonly encryptedRandomSessionKey: Buffer;
  readonly version?: Buffer;
  /** The MIC (16 bytes) when the message has one, else undefined. */
  readonly mic?: Buffer;
}

export function messageType(bytes: Uint8Array): number {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 12 || !buf.subarray(0, 8).equals(SIGNATURE)) {
    throw new NtlmError("NTLM_MALFORMED", "not an NTLMSSP message");
  }
  return buf.readUInt32LE(8);
}

function expectType(bytes: Uint8Array, type: number, minLength: number): Buffer {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (messageType(buf) !== type) throw new NtlmError("NTLM_MALFORMED", `not an NTLMSSP type ${type} message`);
  if (buf.length < minLength)
    throw new NtlmError("NTLM_MALFORMED", `NTLMSSP type ${type} message is truncated`);
  return buf;
}

/** A (length, max length, offset) field's payload; throws when it points outside the message. */
function field(buf: Buffer, at: number): Buffer {
  const length = buf.readUInt16LE(at);
  const offset = buf.readUInt32LE(at + 4);
  if (length === 0) return Buffer.alloc(0);
  if (offset + length > buf.length)
    throw new NtlmError("NTLM_MALFORMED", "NTLMSSP field outside the message");
  return buf.subarray(offset, offset + length);
}

function fieldOffset(buf: Buffer, at: number): number | undefined {
  return buf.readUInt16LE(at) === 0 ? undefined : buf.readUInt32LE(at + 4);
}

function text(bytes: Buffer, unicode: boolean): string {
  return bytes.toString(unicode ? "utf16le" : "latin1");
}

/** Lays out a fixed header and payloads, filling each field's (length, max, offset) triple. */
function assemble(header: Buffer, fields: readonly { at: number; value: Buffer }[]): Buffer {
  let offset = header.length;
  for (const { at, value } of fields) {
    header.writeUInt16LE(value.length, at);
    header.writeUInt16LE(value.length, at + 2);
    header.writeUInt32LE(offset, at + 4);
    offset += value.length;
  }
  return Buffer.concat([header, ...fields.map((f) => f.value)]);
}

export function encodeNegotiate(message: NegotiateMessage): Buffer {
  const header = Buffer.alloc(40);
  SIGNATURE.copy(header, 0);
  header.writeUInt32LE(1, 8);
  header.writeUInt32LE(message.flags >>> 0, 12);
  // Domain and workstation are left empty (offset still points at the payload, as Windows does).
  header.writeUInt32LE(40, 20);
  header.writeUInt32LE(40, 28);
  DEFAULT_VERSION.copy(header, 32);
  return header;
}

export function decodeNegotiate(bytes: Uint8Array): NegotiateMessage {
  const buf = expectType(bytes, 1, 16);
  return { flags: buf.readUInt32LE(12) };
}

export function encodeChallenge(message: ChallengeMessage): Buffer {
  const header = Buffer.alloc(56);
  SIGNATURE.copy(header, 0);
  header.writeUInt32LE(2, 8);
  header.writeUInt32LE(message.flags >>> 0, 20);
  message.serverChallenge.copy(header, 24);
  (message.version ?? DEFAULT_VERSION).copy(header, 48);
  return assemble(header, [
    { at: 12, value: Buffer.from(message.targetName, "utf16le") },
    { at: 40, value: message.targetInfo },
  ]);
}

export function decodeChallenge(bytes: Uint8Array): ChallengeMessage {
  const buf = expectType(bytes, 2, 32);
  const flags = buf.readUInt32LE(20);
  const hasInfo = buf.length >= 48;
  return {
    flags,
    serverChallenge: Buffer.from(buf.subarray(24, 32)),
    targetName: text(field(buf, 12), (flags & NtlmFlags.UNICODE) !== 0),
    targetInfo: hasInfo ? Buffer.from(field(buf, 40)) : Buffer.alloc(0),
    ...(buf.length >= 56 && (flags & NtlmFlags.VERSION) !== 0
      ? { version: Buffer.from(buf.subarray(48, 56)) }
      : {}),
  };
}

/** Byte offset of the MIC in an AUTHENTICATE message (after the 8-byte Version). */
export const MIC_OFFSET = 72;

/**
 * Encodes an AUTHENTICATE message; with `withMic` the header reserves the 16-byte MIC field
 * (filled with `mic`, or zeros for computing it). Payload order follows MS-NLMP 4.2.4.3.
 */
export function encodeAuthenticate(message: AuthenticateMessage, withMic: boolean): Buffer {
  const header = Buffer.alloc(withMic ? MIC_OFFSET + 16 : MIC_OFFSET);
  SIGNATURE.copy(header, 0);
  header.writeUInt32LE(3, 8);
  header.writeUInt32LE(message.flags >>> 0, 60);
  (message.version ?? DEFAULT_VERSION).copy(header, 64);
  if (withMic && message.mic !== undefined) message.mic.copy(header, MIC_OFFSET);
  const unicode = (message.flags & NtlmFlags.UNICODE) !== 0;
  const str = (s: string) => Buffer.from(s, unicode ? "utf16le" : "latin1");
  return assemble(header, [
    { at: 28, value: str(message.domain) },
    { at: 36, value: str(message.user) },
    { at: 44, value: str(message.workstation) },
    { at: 12, value: message.lmChallengeResponse },
    { at: 20, value: message.ntChallengeResponse },
    { at: 52, value: message.encryptedRandomSessionKey },
  ]);
}

export function decodeAuthenticate(bytes: Uint8Array): AuthenticateMessage {
  const buf = expectType(bytes, 3, 64);
  const flags = buf.readUInt32LE(60);
  const unicode = (flags & NtlmFlags.UNICODE) !== 0;
  // The MIC field exists when the payload starts after it (MS-NLMP 2.2.1.3).
  const offsets = [12, 20, 28, 36, 44, 52].map((at) => fieldOffset(buf, at)).filter((o) => o !== undefined);
  const payloadStart = Math.min(buf.length, ...offsets);
  return {
    flags,
    lmChallengeResponse: Buffer.from(field(buf, 12)),
    ntChallengeResponse: Buffer.from(field(buf, 20)),
    domain: text(field(buf, 28), unicode),
    user: text(field(buf, 36), unicode),
    workstation: text(field(buf, 44), unicode),
    encryptedRandomSessionKey: Buffer.from(field(buf, 52)),
    ...(payloadStart >= MIC_OFFSET && buf.length >= MIC_OFFSET
      ? { version: Buffer.from(buf.subarray(64, 72)) }
      : {}),
    ...(payloadStart >= MIC_OFFSET + 16
      ? { mic: Buffer.from(buf.subarray(MIC_OFFSET, MIC_OFFSET + 16)) }
      : {}),
  };
}

export function decodeAvPairs(bytes: Uint8Array): AvPair[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pairs: AvPair[] = [];
  for (let at = 0; at + 4 <= buf.length; ) {
    const id = buf.readUInt16LE(at);
    const length = buf.readUInt16LE(at + 2);
    if (id === AvId.EOL) return pairs;
    if (at + 4 + length > buf.length)
      throw new NtlmError("NTLM_MALFORMED", "AV_PAIR outside the target information");
    pairs.push({ id, value: Buffer.from(buf.subarray(at + 4, at + 4 + length)) });
    at += 4 + length;
  }
  throw new NtlmError("NTLM_MALFORMED", "target information has no MsvAvEOL");
}

export function encodeAvPairs(pairs: readonly AvPair[]): Buffer {
  const parts: Buffer[] = [];
  for (const pair of pairs) {
    const head = Buffer.alloc(4);
    head.writeUInt16LE(pair.id, 0);
    head.writeUInt16LE(pair.value.length, 2);
    parts.push(head, pair.value);
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

export function avValue(pairs: readonly AvPair[], id: number): Buffer | undefined {
  return pairs.find((p) => p.id === id)?.value;
}

/** A FILETIME (100 ns since 1601-01-01) of `ms` since the Unix epoch, little-endian. */
export function fileTime(ms: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE((BigInt(Math.floor(ms)) + 11_644_473_600_000n) * 10_000n);
  return out;
}

export function fileTimeToMs(bytes: Buffer): number {
  return Number(bytes.readBigUInt64LE(0) / 10_000n - 11_644_473_600_000n);
}
