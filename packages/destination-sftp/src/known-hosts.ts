// Host-key verification. A backup tool that trusts whatever key a server offers hands the
// repository to anyone who can redirect a TCP connection, so the destination only connects
// when the key matches an OpenSSH known_hosts entry or a pinned SHA256 fingerprint.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** OpenSSH-style fingerprint of a raw public key blob: "SHA256:" + unpadded base64. */
export function sha256Fingerprint(keyBlob: Uint8Array): string {
  return `SHA256:${createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")}`;
}

/** Normalizes "SHA256:abc=" / "sha256:abc" to "SHA256:abc"; undefined when not a SHA256 fingerprint. */
export function normalizeFingerprint(fingerprint: string): string | undefined {
  const match = /^SHA256:([A-Za-z0-9+/]{43})=?$/i.exec(fingerprint.trim());
  return match === null ? undefined : `SHA256:${match[1]}`;
}

export interface KnownHostEntry {
  readonly marker: "" | "@revoked" | "@cert-authority";
  /** Comma-separated host patterns, or one "|1|salt|hash" hashed name. */
  readonly hosts: string;
  readonly keyType: string;
  /** The base64 key blob as written in the file. */
  readonly key: string;
}

/** Parses known_hosts text; malformed lines and comments are ignored, as ssh does. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) continue;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry["marker"] = "";
    if (fields[0] === "@revoked" || fields[0] === "@cert-authority") marker = fields.shift() as typeof marker;
    else if (fields[0]?.startsWith("@")) continue;
    const [hosts, keyType, key] = fields;
    if (hosts === undefined || keyType === undefined || key === undefined) continue;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key)) continue;
    entries.push({ marker, hosts, keyType, key });
  }
  return entries;
}

/** The name ssh looks up for a host: "host" on port 22, "[host]:port" otherwise. */
export function knownHostsName(host: string, port: number): string {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return port === 22 ? bare : `[${bare}]:${port}`;
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`, "i");
}

function hashedMatches(hosts: string, name: string): boolean {
  const parts = hosts.split("|");
  // "|1|salt|hash" splits into ["", "1", salt, hash]
  if (parts.length !== 4 || parts[1] !== "1") return false;
  const salt = Buffer.from(parts[2] as string, "base64");
  const expected = Buffer.from(parts[3] as string, "base64");
  const actual = createHmac("sha1", salt).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** True when the entry's host field names `name` (plain patterns with * ? and !negation, or hashed). */
export function entryMatchesHost(entry: KnownHostEntry, name: string): boolean {
  if (entry.hosts.startsWith("|")) return hashedMatches(entry.hosts, name);
  let matched = false;
  for (const pattern of entry.hosts.split(",")) {
    if (pattern === "") continue;
    const negated = pattern.startsWith("!");
    const body = (negated ? pattern.slice(1) : pattern).toLowerCase();
    if (globToRegExp(body).test(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

export type HostKeyVerdict =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reason: "mismatch" | "revoked" | "unknown-host";
      readonly offered: string;
    };

/** The host-key algorithms ssh2 should offer for the key types a known_hosts file lists. */
export function hostKeyAlgorithms(keyTypes: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const type of keyTypes) {
    if (type === "ssh-rsa") {
      out.add("rsa-sha2-512");
      out.add("rsa-sha2-256");
      out.add("ssh-rsa");
    } else if (/^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-dss)$/.test(type)) {
      out.add(type);
    }
  }
  return [...out];
}

/** Decides whether `keyBlob`, offered by `name`, is trusted by `entries`. */
export function verifyAgainstKnownHosts(
  entries: readonly KnownHostEntry[],
  name: string,
  keyBlob: Uint8Array,
): HostKeyVerdict {
  const offered = Buffer.from(keyBlob).toString("base64");
  const fingerprint = sha256Fingerprint(keyBlob);
  const forHost = entries.filter(
    (entry) => entry.marker !== "@cert-authority" && entryMatchesHost(entry, name),
  );
  if (forHost.some((entry) => entry.marker === "@revoked" && entry.key === offered)) {
    return { ok: false, reason: "revoked", offered: fingerprint };
  }
  const trusted = forHost.filter((entry) => entry.marker === "");
  if (trusted.some((entry) => entry.key === offered)) return { ok: true };
  return { ok: false, reason: trusted.length === 0 ? "unknown-host" : "mismatch", offered: fingerprint };
}

/** Key types known_hosts lists for `name` (to ask the server for a key we can check). */
export function knownKeyTypes(entries: readonly KnownHostEntry[], name: string): string[] {
  return entries
    .filter((entry) => entry.marker === "" && entryMatchesHost(entry, name))
    .map((entry) => entry.keyType);
}
