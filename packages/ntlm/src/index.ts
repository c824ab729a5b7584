export { certificateSignatureOid, channelBindingsHash, tlsServerEndPoint } from "./channel-bindings.js";
export { hmacMd5, ntHash, ntowfV2, rc4, sessionKeys } from "./crypto.js";
export { NtlmError, type NtlmErrorCode } from "./errors.js";
export {
  type AuthenticateMessage,
  AvId,
  type AvPair,
  type ChallengeMessage,
  decodeAuthenticate,
  decodeAvPairs,
  decodeChallenge,
  decodeNegotiate,
  encodeAuthenticate,
  encodeAvPairs,
  encodeChallenge,
  fileTime,
  messageType,
  NtlmFlags,
} from "./messages.js";
export {
  type AuthenticateOptions,
  type AuthenticateResult,
  type ChallengeOptions,
  CLIENT_FLAGS,
  createAuthenticateMessage,
  createChallengeMessage,
  createNegotiateMessage,
  type NtlmCredentials,
  type NtlmFailureReason,
  type VerifyOptions,
  type VerifyResult,
  verifyAuthenticateMessage,
} from "./ntlmv2.js";
export {
  decodeNegTokenInit,
  decodeNegTokenResp,
  encodeNegTokenInit,
  encodeNegTokenResp,
  type NegState,
  type NegTokenInit,
  type NegTokenResp,
  NTLM_MECH_TYPES,
  NTLMSSP_OID,
  ntlmSignature,
} from "./spnego.js";
