// SPNEGO (RFC 4178, MS-SPNG) around NTLM for HTTP "Negotiate": the client's NegTokenInit offering
// NTLMSSP, the NegTokenResp legs, and the mechListMIC that proves neither side's mechanism list
// was tampered with (an NTLM signature, MS-NLMP 3.4.4.2, over the DER mechTypes list).
import { hmacMd5, rc4Cipher, sessionKeys } from "./crypto.js";
import { readAll, readTlv, tlv } from "./der.js";
import { NtlmError } from "./errors.js";

const SPNEGO_OID = Buffer.from([0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02]);
/** 1.3.6.1.4.1.311.2.2.10, NTLMSSP. */
export const NTLMSSP_OID = Buffer.from([
  0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a,
]);

export type NegState = "accept-completed" | "accept-incomplete" | "reject" | "request-mic";
const NEG_STATES: readonly NegState[] = ["accept-completed", "accept-incomplete", "reject", "request-mic"];

/** The DER mechTypes list this client offers (only NTLMSSP): the bytes the mechListMIC covers. */
export const NTLM_MECH_TYPES = tlv(0x30, NTLMSSP_OID);

/** The first token: GSS-API InitialContextToken with NegTokenInit { mechTypes, mechToken }. */
export function encodeNegTokenInit(mechToken: Buffer): Buffer {
  const init = tlv(0x30, tlv(0xa0, NTLM_MECH_TYPES), tlv(0xa2, tlv(0x04, mechToken)));
  return tlv(0x60, SPNEGO_OID, tlv(0xa0, init));
}

export interface NegTokenInit {
  /** The DER mechTypes list as received (the mechListMIC covers these exact bytes). */
  readonly mechTypes: Buffer;
  readonly offersNtlm: boolean;
  readonly mechToken?: Buffer;
}

export function decodeNegTokenInit(token: Buffer): NegTokenInit {
  const outer = readTlv(token, 0);
  if (outer.tag !== 0x60) throw new NtlmError("NTLM_SPNEGO_MALFORMED", "not a GSS-API initial token");
  const [oid, body] = readAll(outer.value);
  if (oid === undefined || body === undefined || oid.tag !== 0x06 || body.tag !== 0xa0) {
    throw new NtlmError("NTLM_SPNEGO_MALFORMED", "not a SPNEGO NegTokenInit");
  }
  const sequence = readTlv(body.value, 0);
  let mechTypes: Buffer | undefined;
  let mechToken: Buffer | undefined;
  for (const element of readAll(sequence.value)) {
    if (element.tag === 0xa0) mechTypes = Buffer.from(element.value);
    if (element.tag === 0xa2) mechToken = Buffer.from(readTlv(element.value, 0).value);
  }
  if (mechTypes === undefined) throw new NtlmError("NTLM_SPNEGO_MALFORMED", "NegTokenInit has no mechTypes");
  const offersNtlm = readAll(readTlv(mechTypes, 0).value).some((m) =>
    tlv(m.tag, m.value).equals(NTLMSSP_OID),
  );
  return { mechTypes, offersNtlm, ...(mechToken !== undefined ? { mechToken } : {}) };
}

export interface NegTokenResp {
  readonly negState?: NegState;
  readonly supportedMech?: Buffer;
  readonly responseToken?: Buffer;
  readonly mechListMIC?: Buffer;
}

export function encodeNegTokenResp(resp: NegTokenResp): Buffer {
  const parts: Buffer[] = [];
  if (resp.negState !== undefined)
    parts.push(tlv(0xa0, tlv(0x0a, Buffer.from([NEG_STATES.indexOf(resp.negState)]))));
  if (resp.supportedMech !== undefined) parts.push(tlv(0xa1, resp.supportedMech));
  if (resp.responseToken !== undefined) parts.push(tlv(0xa2, tlv(0x04, resp.responseToken)));
  if (resp.mechListMIC !== undefined) parts.push(tlv(0xa3, tlv(0x04, resp.mechListMIC)));
  return tlv(0xa1, tlv(0x30, ...parts));
}

export function decodeNegTokenResp(token: Buffer): NegTokenResp {
  const outer = readTlv(token, 0);
  if (outer.tag !== 0xa1) throw new NtlmError("NTLM_SPNEGO_MALFORMED", "not a SPNEGO NegTokenResp");
  const out: { -readonly [K in keyof NegTokenResp]: NegTokenResp[K] } = {};
  for (const element of readAll(readTlv(outer.value, 0).value)) {
    const inner = readTlv(element.value, 0);
    if (element.tag === 0xa0) out.negState = NEG_STATES[inner.value[0] ?? 2] ?? "reject";
    if (element.tag === 0xa1) out.supportedMech = Buffer.from(element.value);
    if (element.tag === 0xa2) out.responseToken = Buffer.from(inner.value);
    if (element.tag === 0xa3) out.mechListMIC = Buffer.from(inner.value);
  }
  return out;
}

/**
 * The NTLM message signature with extended session security and key exchange (MS-NLMP 3.4.4.2):
 * version 1, the first 8 bytes of HMAC-MD5(signing key, seqNum || message) sealed with RC4, seqNum.
 * The mechListMIC is the first signature of each direction, so a fresh RC4 state is correct here.
 */
export function ntlmSignature(
  exportedSessionKey: Buffer,
  direction: "client" | "server",
  message: Buffer,
  seqNum = 0,
): Buffer {
  const keys = sessionKeys(exportedSessionKey);
  const signing = direction === "client" ? keys.clientSigning : keys.serverSigning;
  const sealing = direction === "client" ? keys.clientSealing : keys.serverSealing;
  const seq = Buffer.alloc(4);
  seq.writeUInt32LE(seqNum);
  const checksum = rc4Cipher(sealing)(hmacMd5(signing, seq, message).subarray(0, 8));
  return Buffer.concat([Buffer.from([1, 0, 0, 0]), checksum, seq]);
}
