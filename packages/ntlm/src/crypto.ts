// The NTLMv2 primitives of MS-NLMP 3.3.2 and 3.4.5: NT one-way functions, HMAC-MD5, RC4 (for the
// key exchange and the message signature) and the session keys. MD4 comes from js-md4 because
// node:crypto's md4 is gone with OpenSSL 3 unless the legacy provider is loaded; RC4 is likewise
// legacy in OpenSSL 3, and at 20 lines it is written here rather than loaded from another package.
/// <reference path="./js-md4.d.ts" />
// (the reference keeps js-md4's declaration with this file when another package's build
// compiles it through the "source" export condition)
import { createHash, createHmac } from "node:crypto";
import md4 from "js-md4";

export function utf16le(text: string): Buffer {
  return Buffer.from(text, "utf16le");
}

/** MD4 of the UTF-16LE password: the "NT hash" (NTOWFv1), the only secret NTLMv2 derives from. */
export function ntHash(password: string): Buffer {
  return Buffer.from(md4.arrayBuffer(utf16le(password)));
}

export function hmacMd5(key: Uint8Array, ...data: Uint8Array[]): Buffer {
  const hmac = createHmac("md5", key);
  for (const part of data) hmac.update(part);
  return hmac.digest();
}

export function md5(...data: Uint8Array[]): Buffer {
  const hash = createHash("md5");
  for (const part of data) hash.update(part);
  return hash.digest();
}

/**
 * NTOWFv2 (MS-NLMP 3.3.2): HMAC-MD5 keyed with the NT hash over UTF-16LE(Uppercase(user) + domain).
 * The domain is taken as sent (not uppercased), exactly as the spec and Windows do.
 */
export function ntowfV2(ntHashOfPassword: Uint8Array, user: string, domain: string): Buffer {
  return hmacMd5(ntHashOfPassword, utf16le(user.toUpperCase() + domain));
}

/** RC4 keystream applied to `data` (one-shot), or a stateful cipher through `rc4Cipher`. */
export function rc4(key: Uint8Array, data: Uint8Array): Buffer {
  return rc4Cipher(key)(data);
}

export function rc4Cipher(key: Uint8Array): (data: Uint8Array) => Buffer {
  const s = new Uint8Array(256);
  for (let i = 0; i < 256; i++) s[i] = i;
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + (s[i] as number) + (key[i % key.length] as number)) & 0xff;
    [s[i], s[j]] = [s[j] as number, s[i] as number];
  }
  let i = 0;
  let j = 0;
  return (data) => {
    const out = Buffer.alloc(data.length);
    for (let n = 0; n < data.length; n++) {
      i = (i + 1) & 0xff;
      j = (j + (s[i] as number)) & 0xff;
      [s[i], s[j]] = [s[j] as number, s[i] as number];
      out[n] = (data[n] as number) ^ (s[((s[i] as number) + (s[j] as number)) & 0xff] as number);
    }
    return out;
  };
}

const CLIENT_SIGNING = "session key to client-to-server signing key magic constant\0";
const CLIENT_SEALING = "session key to client-to-server sealing key magic constant\0";
const SERVER_SIGNING = "session key to server-to-client signing key magic constant\0";
const SERVER_SEALING = "session key to server-to-client sealing key magic constant\0";

/** SIGNKEY and SEALKEY (MS-NLMP 3.4.5.2, 3.4.5.3) for 128-bit extended session security. */
export function sessionKeys(exportedSessionKey: Uint8Array): {
  clientSigning: Buffer;
  clientSealing: Buffer;
  serverSigning: Buffer;
  serverSealing: Buffer;
} {
  const derive = (magic: string) => md5(exportedSessionKey, Buffer.from(magic, "latin1"));
  return {
    clientSigning: derive(CLIENT_SIGNING),
    clientSealing: derive(CLIENT_SEALING),
    serverSigning: derive(SERVER_SIGNING),
    serverSealing: derive(SERVER_SEALING),
  };
}
