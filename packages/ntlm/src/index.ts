export { channelBindingsHash, certificateSignatureOid, tlsServerEndPoint } from "./channel-bindings.js";
export { hmacMd5, ntHash, ntowfV2, rc4, sessionKeys } from "./crypto.js";
export { NtlmError, type NtlmErrorCode } from "./errors.js";
export {
  AvId,
  type AvPair,
  type AuthenticateMessage,
  type ChallengeMessage,
  NtlmFlags,
  decodeAuthenticate,
  decodeAvPairs,
  decodeChallenge,
  decodeNegotiate,
  encodeAuthenticate,
  encodeAvPairs,
  encodeChallenge,
  fileTime,
  messageType,
} from "./messages.js";
export {
  type AuthenticateOptions,
  type AuthenticateResult,
  CLIENT_FLAGS,
  type ChallengeOptions,
  type NtlmCredentials,
  type NtlmFailureReason,
  type VerifyOptions,
  type VerifyResult,
  createAuthenticateMessage,
  createChallengeMessage,
  createNegotiateMessage,
  verifyAuthenticateMessage,
} from "./ntlmv2.js";
export {
  type NegState,
  type NegTokenInit,
  type NegTokenResp,
  NTLMSSP_OID,
  NTLM_MECH_TYPES,
  decodeNegTokenInit,
  decodeNegTokenResp,
  encodeNegTokenInit,
  encodeNegTokenResp,
  ntlmSignature,
} from "./spnego.js";
