// Pure logic without a server: known_hosts parsing and matching, fingerprints, sftp: URLs,
// option validation and the mapping of ssh2 errors to DestinationError codes.
import { createHash, createHmac, generateKeyPairSync } from "node:crypto";
import { isDestinationError } from "@ewsvault/destination";
import { describe, expect, it } from "vitest";
import { toDestinationError } from "../src/errors.js";
import {
  createSftpDestination,
  createSftpDestinationFromUrl,
  entryMatchesHost,
  knownHostsName,
  parseKnownHosts,
  parseSftpUrl,
  sha256Fingerprint,
  verifyAgainstKnownHosts,
} from "../src/index.js";

function keyBlob(): Buffer {
  // An ed25519 SSH public key blob: string "ssh-ed25519", string <32-byte key>.
  const raw = generateKeyPairSync("ed25519").publicKey.export({ format: "der", type: "spki" }).subarray(-32);
  const type = Buffer.from("ssh-ed25519");
  const length = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  return Buffer.concat([length(type.length), type, length(raw.length), raw]);
}

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return isDestinationError(error) ? error.code : (error as Error).name;
  }
  return undefined;
}

describe("known_hosts", () => {
  const blob = keyBlob();
  const other = keyBlob();
  const b64 = blob.toString("base64");

  it("prints fingerprints the way ssh-keygen does", () => {
    const expected = createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
    expect(sha256Fingerprint(blob)).toBe(`SHA256:${expected}`);
    expect(sha256Fingerprint(blob)).not.toContain("=");
  });

  it("names hosts like ssh: bare on port 22, [host]:port otherwise", () => {
    expect(knownHostsName("Example.COM", 22)).toBe("example.com");
    expect(knownHostsName("10.0.0.1", 2222)).toBe("[10.0.0.1]:2222");
    expect(knownHostsName("[::1]", 2222)).toBe("[::1]:2222");
  });

  it("matches plain patterns, wildcards, negations and hashed names", () => {
    const salt = Buffer.from("0123456789abcdef0123");
    const hash = createHmac("sha1", salt).update("[backup.example.com]:2222").digest("base64");
    const entries = parseKnownHosts(
      [
        "# comment",
        "",
        `backup.example.com,10.1.2.3 ssh-ed25519 ${b64}`,
        `*.corp.example.com,!evil.corp.example.com ssh-ed25519 ${b64}`,
        `|1|${salt.toString("base64")}|${hash} ssh-ed25519 ${b64}`,
        "garbage line",
        `@cert-authority *.example.com ssh-ed25519 ${b64}`,
      ].join("\n"),
    );
    expect(entries).toHaveLength(4);
    const [plain, wild, hashed] = entries as [(typeof entries)[0], (typeof entries)[0], (typeof entries)[0]];
    expect(entryMatchesHost(plain, "backup.example.com")).toBe(true);
    expect(entryMatchesHost(plain, "10.1.2.3")).toBe(true);
    expect(entryMatchesHost(plain, "[backup.example.com]:2222")).toBe(false);
    expect(entryMatchesHost(wild, "host1.corp.example.com")).toBe(true);
    expect(entryMatchesHost(wild, "evil.corp.example.com")).toBe(false);
    expect(entryMatchesHost(hashed, "[backup.example.com]:2222")).toBe(true);
    expect(entryMatchesHost(hashed, "backup.example.com")).toBe(false);
  });

  it("accepts the listed key, refuses another key, revoked keys and unknown hosts", () => {
    const entries = parseKnownHosts(
      `host.example ssh-ed25519 ${b64}\n@revoked * ssh-ed25519 ${other.toString("base64")}\n`,
    );
    expect(verifyAgainstKnownHosts(entries, "host.example", blob)).toEqual({ ok: true });
    expect(verifyAgainstKnownHosts(entries, "host.example", other)).toMatchObject({
      ok: false,
      reason: "revoked",
    });
    const third = keyBlob();
    expect(verifyAgainstKnownHosts(entries, "host.example", third)).toMatchObject({
      ok: false,
      reason: "mismatch",
      offered: sha256Fingerprint(third),
    });
    expect(verifyAgainstKnownHosts(entries, "elsewhere.example", blob)).toMatchObject({
      ok: false,
      reason: "unknown-host",
    });
  });
});

describe("parseSftpUrl", () => {
  it("reads user, host, port and absolute or home-relative paths", () => {
    expect(parseSftpUrl("sftp:backup@nas.example:2222/srv/ewsvault")).toEqual({
      username: "backup",
      host: "nas.example",
      port: 2222,
      root: "/srv/ewsvault",
    });
    expect(parseSftpUrl("sftp:nas.example/~/repos/a/")).toEqual({
      username: undefined,
      host: "nas.example",
      port: 22,
      root: "repos/a",
    });
    expect(parseSftpUrl("sftp://u@[fd00::5]:22/data")).toEqual({
      username: "u",
      host: "fd00::5",
      port: 22,
      root: "/data",
    });
    expect(parseSftpUrl("sftp:u@host:/abs/path")).toMatchObject({ port: 22, root: "/abs/path" });
    expect(parseSftpUrl("sftp:u@host/~")).toMatchObject({ root: "." });
  });

  it("refuses malformed URLs and passwords in URLs with DEST_CONFIG", () => {
    for (const bad of [
      "s3:bucket",
      "sftp:",
      "sftp:host",
      "sftp:u:secret@host/x",
      "sftp:host:99999/x",
      "sftp:host:abc/x",
      "sftp:@host/x",
    ]) {
      expect(
        codeOf(() => parseSftpUrl(bad)),
        bad,
      ).toBe("DEST_CONFIG");
    }
  });
});

describe("createSftpDestinationFromUrl", () => {
  it("needs a credential and a way to verify the host key", () => {
    expect(codeOf(() => createSftpDestinationFromUrl("sftp:u@h/x", { HOME: "/nonexistent" }))).toBe(
      "DEST_CONFIG",
    );
    expect(
      codeOf(() =>
        createSftpDestinationFromUrl("sftp:u@h/x", { EWSVAULT_SFTP_PASSWORD: "pw", HOME: "/nonexistent" }),
      ),
    ).toBe("DEST_CONFIG");
    expect(
      codeOf(() =>
        createSftpDestinationFromUrl("sftp:u@h/x", {
          EWSVAULT_SFTP_PASSWORD: "pw",
          EWSVAULT_SFTP_HOST_FINGERPRINT: "not-a-fingerprint",
          HOME: "/nonexistent",
        }),
      ),
    ).toBe("DEST_CONFIG");
    expect(
      codeOf(() =>
        createSftpDestinationFromUrl("sftp:u@h/x", { EWSVAULT_SFTP_KEY_FILE: "/nonexistent/key" }),
      ),
    ).toBe("DEST_CONFIG");
  });

  it("keeps the password out of the description", () => {
    const destination = createSftpDestinationFromUrl("sftp:u@h:2200/srv/r", {
      EWSVAULT_SFTP_PASSWORD: "hunter2-secret",
      EWSVAULT_SFTP_HOST_FINGERPRINT: sha256Fingerprint(keyBlob()),
    });
    expect(destination.description).toBe("sftp:u@h:2200/srv/r");
    expect(destination.capabilities).toEqual({
      maxConnections: 4,
      atomicReplace: true,
      rangedReads: true,
      listAfterWriteConsistent: true,
    });
  });
});

describe("createSftpDestination options", () => {
  const base = { host: "h", username: "u", password: "p", hostFingerprint: sha256Fingerprint(keyBlob()) };
  it("throws TypeError for programmer mistakes", () => {
    expect(codeOf(() => createSftpDestination({ ...base, host: "" }))).toBe("TypeError");
    expect(codeOf(() => createSftpDestination({ ...base, password: undefined }))).toBe("TypeError");
    expect(codeOf(() => createSftpDestination({ ...base, hostFingerprint: "MD5:aa:bb" }))).toBe("TypeError");
    expect(codeOf(() => createSftpDestination({ ...base, maxConnections: 0 }))).toBe("TypeError");
    expect(codeOf(() => createSftpDestination({ ...base, root: "a\nb" }))).toBe("TypeError");
  });
});

describe("ssh2 error mapping", () => {
  const status = (code: number, message: string) => Object.assign(new Error(message), { code });
  it("maps SFTP statuses and connection failures to destination codes", () => {
    expect(toDestinationError(status(2, "No such file"), "load", "a").code).toBe("DEST_NOT_FOUND");
    expect(toDestinationError(status(3, "Permission denied"), "save", "a").code).toBe("DEST_PERMISSION");
    expect(toDestinationError(status(14, "No space"), "save", "a").code).toBe("DEST_FULL");
    expect(toDestinationError(status(15, "Quota exceeded"), "save", "a").code).toBe("DEST_FULL");
    expect(toDestinationError(status(4, "write failed: ENOSPC"), "save", "a").code).toBe("DEST_FULL");
    expect(toDestinationError(status(4, "Failure"), "save", "a").code).toBe("DEST_IO");
    expect(toDestinationError(status(7, "Connection lost"), "save", "a").code).toBe("DEST_TRANSIENT");
    expect(toDestinationError(status(8, "Unsupported"), "save", "a").code).toBe("DEST_CONFIG");
    const auth = Object.assign(new Error("All configured authentication methods failed"), {
      level: "client-authentication",
    });
    expect(toDestinationError(auth, "connect to", "x").code).toBe("DEST_PERMISSION");
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    expect(toDestinationError(reset, "load", "a").code).toBe("DEST_TRANSIENT");
    const timeout = Object.assign(new Error("Timed out while waiting for handshake"), {
      level: "client-timeout",
    });
    expect(toDestinationError(timeout, "connect to", "x").code).toBe("DEST_TRANSIENT");
    expect(toDestinationError(new Error("No response from server"), "load", "a").code).toBe("DEST_TRANSIENT");
    const multiline = toDestinationError(status(4, "line one\nline two"), "save", "a");
    expect(multiline.message).not.toMatch(/[\r\n]/);
  });
});
