// A self-signed certificate for the HTTPS listener, made at start with Debian's openssl (the
// mock is a test tool: the point is to exercise the client's TLS path, not to be trusted).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MockEwsError } from "../errors.js";

/** MUST throw MockEwsError TLS_UNAVAILABLE when openssl is missing or fails. */
export function selfSignedCertificate(host: string): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), "mock-ews-tls-"));
  try {
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    const san = /^[\d.]+$/.test(host) ? `IP:${host}` : `DNS:${host}`;
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        key,
        "-out",
        cert,
        "-days",
        "7",
        "-subj",
        `/CN=${host}`,
        "-addext",
        `subjectAltName=${san},DNS:localhost`,
      ],
      { stdio: "ignore", timeout: 30_000 },
    );
    return { key: readFileSync(key, "utf8"), cert: readFileSync(cert, "utf8") };
  } catch (error) {
    throw new MockEwsError(
      "TLS_UNAVAILABLE",
      "cannot make a self-signed certificate (is openssl installed?)",
      { cause: error },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
