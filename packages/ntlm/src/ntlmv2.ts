// NTLMv2 (MS-NLMP 3.1.5, 3.2.5, 3.3.2) from both ends: the client's NEGOTIATE and AUTHENTICATE,
// the server's CHALLENGE and its verification of the AUTHENTICATE. Only NTLMv2 exists here: the
// client never computes an LM or NTLMv1 response, and the server refuses them.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { hmacMd5, ntHash, ntowfV2, rc4 } from "./crypto.js";
import { NtlmError } from "./errors.js";
import {
  type AuthenticateMessage,
  AV_FLAG_MIC_PRESENT,
  AvId,
  type AvPair,
  avValue,
  decodeAuthenticate,
  decodeAvPairs,
  decodeChallenge,
  decodeNegotiate,
  encodeAuthenticate,
  encodeAvPairs,
  encodeChallenge,
  encodeNegotiate,
  fileTime,
  fileTimeToMs,
  MIC_OFFSET,
  NtlmFlags,
} from "./messages.js";

/**
 * What a current Windows client asks for: Unicode, NTLM with extended session security, signing
 * (SIGN, ALWAYS_SIGN) with 128-bit keys exchanged under KEY_EXCH, the target name and a version.
 * No SEAL: HTTP authentication never encrypts messages with NTLM; no LM_KEY: it weakens the keys.
 */
export const CLIENT_FLAGS =
  NtlmFlags.UNICODE |
  NtlmFlags.OEM |
  NtlmFlags.REQUEST_TARGET |
  NtlmFlags.SIGN |
  NtlmFlags.NTLM |
  NtlmFlags.ALWAYS_SIGN |
  NtlmFlags.EXTENDED_SESSIONSECURITY |
  NtlmFlags.VERSION |
  NtlmFlags.KEY_128 |
  NtlmFlags.KEY_EXCH |
  NtlmFlags.KEY_56;

export interface NtlmCredentials {
  readonly user: string;
  /** NetBIOS or DNS domain; "" for a UPN user name ("user@example.com"), as Windows sends it. */
  readonly domain: string;
  readonly password: string;
}

export function createNegotiateMessage(flags: number = CLIENT_FLAGS): Buffer {
  return encodeNegotiate({ flags });
}

export interface AuthenticateOptions {
  readonly credentials: NtlmCredentials;
  /** The NEGOTIATE and CHALLENGE messages of this handshake, as sent and received (for the MIC). */
  readonly negotiate: Buffer;
  readonly challenge: Buffer;
  /**
   * MD5 of the gss_channel_bindings_struct (see channelBindingsHash). Sent as MsvAvChannelBindings;
   * omitted when undefined (plain HTTP).
   */
  readonly channelBindings?: Buffer;
  /** Service principal name to send as MsvAvTargetName, e.g. "HTTP/mail.example.com". */
  readonly targetName?: string;
  readonly workstation?: string;
  /** For test vectors: fixed values instead of the clock and random bytes. */
  readonly now?: number;
  readonly clientChallenge?: Buffer;
  readonly randomSessionKey?: Buffer;
  readonly flags?: number;
  readonly version?: Buffer;
}

export interface AuthenticateResult {
  readonly message: Buffer;
  /** The key both ends now share (signing, the SPNEGO mechListMIC). */
  readonly exportedSessionKey: Buffer;
  readonly flags: number;
}

/** The client's AV pairs: the server's, plus MsvAvFlags (MIC), channel bindings and target name. */
function clientTargetInfo(server: readonly AvPair[], options: AuthenticateOptions, mic: boolean): Buffer {
  const pairs = server.filter(
    (p) => p.id !== AvId.Flags && p.id !== AvId.ChannelBindings && p.id !== AvId.TargetName,
  );
  const serverFlags = avValue(server, AvId.Flags)?.readUInt32LE(0) ?? 0;
  if (mic || serverFlags !== 0) {
    const value = Buffer.alloc(4);
    value.writeUInt32LE((serverFlags | (mic ? AV_FLAG_MIC_PRESENT : 0)) >>> 0);
    pairs.push({ id: AvId.Flags, value });
  }
  if (options.channelBindings !== undefined)
    pairs.push({ id: AvId.ChannelBindings, value: options.channelBindings });
  if (options.targetName !== undefined) {
    pairs.push({ id: AvId.TargetName, value: Buffer.from(options.targetName, "utf16le") });
  }
  return encodeAvPairs(pairs);
}

export function createAuthenticateMessage(options: AuthenticateOptions): AuthenticateResult {
  const challenge = decodeChallenge(options.challenge);
  if (challenge.targetInfo.length === 0) {
    throw new NtlmError("NTLM_UNSUPPORTED", "the server's challenge has no target information (NTLMv1 only)");
  }
  const serverPairs = decodeAvPairs(challenge.targetInfo);
  const serverTime = avValue(serverPairs, AvId.Timestamp);
  // With a server timestamp the MIC is sent and the LM response is zeros (MS-NLMP 3.1.5.1.2).
  const withMic = serverTime !== undefined;
  const { credentials } = options;
  const clientChallenge = options.clientChallenge ?? randomBytes(8);
  const time = serverTime ?? fileTime(options.now ?? Date.now());
  const temp = Buffer.concat([
    Buffer.from([1, 1, 0, 0, 0, 0, 0, 0]),
    time,
    clientChallenge,
    Buffer.alloc(4),
    clientTargetInfo(serverPairs, options, withMic),
    Buffer.alloc(4),
  ]);
  const key = ntowfV2(ntHash(credentials.password), credentials.user, credentials.domain);
  const proof = hmacMd5(key, challenge.serverChallenge, temp);
  const sessionBaseKey = hmacMd5(key, proof);
  const lm = withMic
    ? Buffer.alloc(24)
    : Buffer.concat([hmacMd5(key, challenge.serverChallenge, clientChallenge), clientChallenge]);
  const flags =
    options.flags ?? ((challenge.flags & CLIENT_FLAGS) | NtlmFlags.UNICODE | NtlmFlags.NTLM) >>> 0;
  let exportedSessionKey: Buffer = sessionBaseKey;
  let encryptedRandomSessionKey: Buffer = Buffer.alloc(0);
  if ((flags & NtlmFlags.KEY_EXCH) !== 0) {
    exportedSessionKey = options.randomSessionKey ?? randomBytes(16);
    encryptedRandomSessionKey = rc4(sessionBaseKey, exportedSessionKey);
  }
  const fields: AuthenticateMessage = {
    flags,
    lmChallengeResponse: lm,
    ntChallengeResponse: Buffer.concat([proof, temp]),
    domain: credentials.domain,
    user: credentials.user,
    workstation: options.workstation ?? "",
    encryptedRandomSessionKey,
    ...(options.version !== undefined ? { version: options.version } : {}),
  };
  let message = encodeAuthenticate(fields, withMic);
  if (withMic) {
    const mic = hmacMd5(exportedSessionKey, options.negotiate, options.challenge, message);
    mic.copy(message, MIC_OFFSET);
    message = Buffer.from(message);
  }
  return { message, exportedSessionKey, flags };
}

export interface ChallengeOptions {
  /** The client's NEGOTIATE message. */
  readonly negotiate: Buffer;
  /** NetBIOS names and DNS names announced in the target information. */
  readonly netbiosDomain: string;
  readonly netbiosComputer: string;
  readonly dnsDomain: string;
  readonly dnsComputer: string;
  readonly now?: number;
  readonly serverChallenge?: Buffer;
}

/** The server's CHALLENGE: the negotiated flags, a random challenge, target info with a timestamp. */
export function createChallengeMessage(options: ChallengeOptions): {
  message: Buffer;
  serverChallenge: Buffer;
} {
  const negotiate = decodeNegotiate(options.negotiate);
  const serverChallenge = options.serverChallenge ?? randomBytes(8);
  const utf16 = (s: string) => Buffer.from(s, "utf16le");
  const targetInfo = encodeAvPairs([
    { id: AvId.NbDomainName, value: utf16(options.netbiosDomain) },
    { id: AvId.NbComputerName, value: utf16(options.netbiosComputer) },
    { id: AvId.DnsDomainName, value: utf16(options.dnsDomain) },
    { id: AvId.DnsComputerName, value: utf16(options.dnsComputer) },
    { id: AvId.DnsTreeName, value: utf16(options.dnsDomain) },
    { id: AvId.Timestamp, value: fileTime(options.now ?? Date.now()) },
  ]);
  // What the server grants: the client's asks it supports, and always NTLMv2 target info.
  const supported =
    NtlmFlags.UNICODE |
    NtlmFlags.REQUEST_TARGET |
    NtlmFlags.SIGN |
    NtlmFlags.SEAL |
    NtlmFlags.NTLM |
    NtlmFlags.ALWAYS_SIGN |
    NtlmFlags.EXTENDED_SESSIONSECURITY |
    NtlmFlags.VERSION |
    NtlmFlags.KEY_128 |
    NtlmFlags.KEY_EXCH |
    NtlmFlags.KEY_56;
  const flags =
    ((negotiate.flags & supported) |
      NtlmFlags.UNICODE |
      NtlmFlags.NTLM |
      NtlmFlags.TARGET_INFO |
      NtlmFlags.TARGET_TYPE_DOMAIN) >>>
    0;
  const message = encodeChallenge({ flags, serverChallenge, targetName: options.netbiosDomain, targetInfo });
  return { message, serverChallenge };
}

/** Why the server refused an AUTHENTICATE message (stable; the mock counts failures by it). */
export type NtlmFailureReason =
  | "malformed"
  | "anonymous"
  | "ntlmv1"
  | "unknown-user"
  | "wrong-password"
  | "stale-timestamp"
  | "mic"
  | "channel-binding";

export type VerifyResult =
  | {
      readonly ok: true;
      readonly user: string;
      readonly domain: string;
      readonly exportedSessionKey: Buffer;
      readonly flags: number;
      /** The channel bindings hash the client sent (undefined when none or all zeros). */
      readonly channelBindings?: Buffer;
    }
  | { readonly ok: false; readonly reason: NtlmFailureReason; readonly user?: string };

export interface VerifyOptions {
  readonly authenticate: Buffer;
  readonly negotiate: Buffer;
  readonly challenge: Buffer;
  /** The NT hash of the account the (user, domain) of the message names, or undefined. */
  readonly lookup: (user: string, domain: string) => Buffer | undefined;
  /** Required channel bindings hash (Extended Protection); undefined: not checked. */
  readonly expectedChannelBindings?: Buffer;
  /** Largest accepted distance between the response's timestamp and now; default 5 minutes. */
  readonly maxClockSkewMs?: number;
  readonly now?: number;
}

function same(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function verifyAuthenticateMessage(options: VerifyOptions): VerifyResult {
  let message: AuthenticateMessage;
  let serverChallenge: Buffer;
  try {
    message = decodeAuthenticate(options.authenticate);
    serverChallenge = decodeChallenge(options.challenge).serverChallenge;
  } catch {
    return { ok: false, reason: "malformed" };
  }
  const nt = message.ntChallengeResponse;
  if (nt.length === 0) return { ok: false, reason: "anonymous" };
  // 24 bytes is an NTLMv1 response (or NTLM2 session response): never accepted.
  if (nt.length <= 24) return { ok: false, reason: "ntlmv1", user: message.user };
  if (nt.length < 48 || nt[16] !== 1 || nt[17] !== 1) return { ok: false, reason: "malformed" };
  const temp = nt.subarray(16);
  let clientPairs: AvPair[];
  try {
    clientPairs = decodeAvPairs(temp.subarray(28));
  } catch {
    return { ok: false, reason: "malformed" };
  }
  const hash = options.lookup(message.user, message.domain);
  if (hash === undefined) return { ok: false, reason: "unknown-user", user: message.user };
  const key = ntowfV2(hash, message.user, message.domain);
  const proof = hmacMd5(key, serverChallenge, temp);
  if (!same(proof, nt.subarray(0, 16))) return { ok: false, reason: "wrong-password", user: message.user };
  const time = fileTimeToMs(temp.subarray(8, 16));
  const now = options.now ?? Date.now();
  if (Math.abs(now - time) > (options.maxClockSkewMs ?? 5 * 60_000)) {
    return { ok: false, reason: "stale-timestamp", user: message.user };
  }
  const sessionBaseKey = hmacMd5(key, proof);
  const exportedSessionKey =
    (message.flags & NtlmFlags.KEY_EXCH) !== 0 && message.encryptedRandomSessionKey.length === 16
      ? rc4(sessionBaseKey, message.encryptedRandomSessionKey)
      : sessionBaseKey;
  const avFlags = avValue(clientPairs, AvId.Flags)?.readUInt32LE(0) ?? 0;
  if ((avFlags & AV_FLAG_MIC_PRESENT) !== 0) {
    if (message.mic === undefined) return { ok: false, reason: "mic", user: message.user };
    const zeroed = Buffer.from(options.authenticate);
    zeroed.fill(0, MIC_OFFSET, MIC_OFFSET + 16);
    const mic = hmacMd5(exportedSessionKey, options.negotiate, options.challenge, zeroed);
    if (!same(mic, message.mic)) return { ok: false, reason: "mic", user: message.user };
  }
  const sent = avValue(clientPairs, AvId.ChannelBindings);
  const channelBindings = sent?.some((b) => b !== 0) ? sent : undefined;
  if (options.expectedChannelBindings !== undefined) {
    if (channelBindings === undefined || !same(channelBindings, options.expectedChannelBindings)) {
      return { ok: false, reason: "channel-binding", user: message.user };
    }
  }
  return {
    ok: true,
    user: message.user,
    domain: message.domain,
    exportedSessionKey,
    flags: message.flags,
    ...(channelBindings !== undefined ? { channelBindings } : {}),
  };
}
