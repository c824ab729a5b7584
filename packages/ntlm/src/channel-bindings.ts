// TLS channel bindings for Extended Protection: the RFC 5929 "tls-server-end-point" binding (a hash
// of the server's certificate) wrapped in a gss_channel_bindings_struct (RFC 2744 3.11), of which
// NTLM sends the MD5 as MsvAvChannelBindings. Both the client (of the certificate it received) and
// the server (of its own certificate) compute it here, so the two can only agree on the same cert.
import { createHash } from "node:crypto";
import { md5 } from "./crypto.js";
import { oidToString, readAll, readTlv } from "./der.js";
import { NtlmError } from "./errors.js";

/** Signature algorithm OIDs whose hash is not SHA-256 after RFC 5929's MD5/SHA-1 upgrade. */
const HASH_BY_SIGNATURE_OID: Readonly<Record<string, string>> = {
  "1.2.840.113549.1.1.12": "sha384", // sha384WithRSAEncryption
  "1.2.840.113549.1.1.13": "sha512", // sha512WithRSAEncryption
  "1.2.840.10045.4.3.3": "sha384", // ecdsa-with-SHA384
  "1.2.840.10045.4.3.4": "sha512", // ecdsa-with-SHA512
};

/** The OID of a DER certificate's signatureAlgorithm (Certificate ::= SEQUENCE { tbs, alg, sig }). */
export function certificateSignatureOid(certificateDer: Buffer): string {
  const certificate = readTlv(certificateDer, 0, "NTLM_MALFORMED");
  const parts = readAll(certificate.value, "NTLM_MALFORMED");
  const algorithm = parts[1];
  if (certificate.tag !== 0x30 || algorithm === undefined || algorithm.tag !== 0x30) {
    throw new NtlmError("NTLM_MALFORMED", "not a DER X.509 certificate");
  }
  const oid = readAll(algorithm.value, "NTLM_MALFORMED")[0];
  if (oid === undefined || oid.tag !== 0x06)
    throw new NtlmError("NTLM_MALFORMED", "certificate has no signature algorithm");
  return oidToString(oid.value);
}

/**
 * RFC 5929 4.1: the hash of the certificate with the hash function of its signature algorithm,
 * SHA-256 when that is MD5 or SHA-1 (and for algorithms that name no single hash, e.g. RSA-PSS or
 * Ed25519, where RFC 5929 is silent and Windows and pyspnego use SHA-256 too).
 */
export function tlsServerEndPoint(certificateDer: Buffer): Buffer {
  const hash = HASH_BY_SIGNATURE_OID[certificateSignatureOid(certificateDer)] ?? "sha256";
  return createHash(hash).update(certificateDer).digest();
}

/**
 * MD5 of the gss_channel_bindings_struct with no addresses and application data
 * "tls-server-end-point:" + the certificate hash: the 16 bytes of MsvAvChannelBindings.
 */
export function channelBindingsHash(certificateDer: Buffer): Buffer {
  const applicationData = Buffer.concat([
    Buffer.from("tls-server-end-point:", "latin1"),
    tlsServerEndPoint(certificateDer),
  ]);
  const struct = Buffer.alloc(20 + applicationData.length);
  // initiator_addrtype, initiator_address (length 0), acceptor_addrtype, acceptor_address (length 0)
  struct.writeUInt32LE(applicationData.length, 16);
  applicationData.copy(struct, 20);
  return md5(struct);
}
