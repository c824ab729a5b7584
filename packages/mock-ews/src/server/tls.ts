// A self-signed certificate for the HTTPS listener, built at start with node:crypto: an EC P-256
// key and a minimal X.509 v3 certificate (DER written by hand: the mock is a test tool; the
// point is to exercise a client's TLS path with a certificate it can pin, not to be trusted).
import { createHash, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { isIP } from "node:net";
import { MockEwsError } from "../errors.js";

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const seq = (...content: Buffer[]) => tlv(0x30, ...content);

function oid(dotted: string): Buffer {
  const parts = dotted.split(".").map(Number);
  const bytes = [40 * parts[0]! + parts[1]!];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [part & 0x7f];
    for (let v = Math.floor(part / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function utcTime(date: Date): Buffer {
  const iso = date.toISOString();
  return tlv(
    0x17,
    Buffer.from(
      `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`,
    ),
  );
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split(".").map(Number));
  const [head = "", tail = ""] = ip.split("::");
  const h = head === "" ? [] : head.split(":");
  const t = tail === "" ? [] : tail.split(":");
  const groups = ip.includes("::") ? [...h, ...Array(8 - h.length - t.length).fill("0"), ...t] : h;
  return Buffer.concat(groups.map((g) => Buffer.from(g.padStart(4, "0"), "hex")));
}

/**
 * A PEM key and certificate for `host` (CN and subjectAltName, plus DNS:localhost). MUST throw
 * MockEwsError TLS_UNAVAILABLE when the runtime cannot make keys.
 */
export function selfSignedCertificate(host: string): { key: string; cert: string } {
  try {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const spki = publicKey.export({ type: "spki", format: "der" });
    const name = seq(tlv(0x31, seq(oid("2.5.4.3"), tlv(0x0c, Buffer.from(host)))));
    const signatureAlgorithm = seq(oid("1.2.840.10045.4.3.2"));
    const now = Date.now();
    const altNames = [
      isIP(host) === 0 ? tlv(0x82, Buffer.from(host)) : tlv(0x87, ipBytes(host)),
      tlv(0x82, Buffer.from("localhost")),
    ];
    const keyId = createHash("sha1").update(spki).digest();
    const extensions = tlv(
      0xa3,
      seq(
        seq(oid("2.5.29.19"), tlv(0x01, Buffer.from([0xff])), tlv(0x04, seq(tlv(0x01, Buffer.from([0xff]))))),
        seq(oid("2.5.29.14"), tlv(0x04, tlv(0x04, keyId))),
        seq(oid("2.5.29.17"), tlv(0x04, seq(...altNames))),
      ),
    );
    const serial = randomBytes(16);
    // Positive and minimal: a leading 0x00 followed by a byte below 0x80 is a non-DER INTEGER
    // ("illegal padding" to strict parsers such as node:crypto's X509Certificate), 1 run in 256.
    serial[0] = (serial[0]! & 0x7f) | 0x40;
    const tbs = seq(
      tlv(0xa0, tlv(0x02, Buffer.from([2]))),
      tlv(0x02, serial),
      signatureAlgorithm,
      name,
      seq(utcTime(new Date(now - 3_600_000)), utcTime(new Date(now + 7 * 86_400_000))),
      name,
      spki,
      extensions,
    );
    const signature = sign("sha256", tbs, privateKey);
    const der = seq(tbs, signatureAlgorithm, tlv(0x03, Buffer.from([0]), signature));
    const pem = der.toString("base64").replace(/.{1,64}/g, "$&\n");
    return {
      key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      cert: `-----BEGIN CERTIFICATE-----\n${pem}-----END CERTIFICATE-----\n`,
    };
  } catch (error) {
    throw new MockEwsError("TLS_UNAVAILABLE", "cannot make a self-signed certificate", { cause: error });
  }
}
