// `--repo sftp:...` URLs for the CLI. The URL names the server and directory only; keys,
// passwords and host-key pins come from EWSVAULT_SFTP_* environment variables so they never
// land in shell history or process listings.
import { existsSync, readFileSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { join } from "node:path";
import { DestinationError } from "@ewsvault/destination";
import { createSftpDestination, type SftpDestination } from "./sftp-destination.js";
import type { SftpDestinationOptions } from "./sftp-options.js";

export interface SftpUrl {
  readonly username: string | undefined;
  readonly host: string;
  readonly port: number;
  /** Absolute path, or a path relative to the login directory (from a `/~/` URL path). */
  readonly root: string;
}

const EXPECTED = "sftp:[user@]host[:port]/absolute/path or sftp:[user@]host[:port]/~/path/in/home";

/**
 * Parses `sftp:[user@]host[:port]/path` (also `sftp://...`, `[v6:addr]` hosts and the
 * restic/scp style `sftp:user@host:/path`). A path starting with `/~/` is relative to the
 * login directory; any other path is absolute. Throws DEST_CONFIG for anything else.
 */
export function parseSftpUrl(url: string): SftpUrl {
  if (typeof url !== "string" || !url.startsWith("sftp:")) {
    throw new DestinationError("DEST_CONFIG", `not an sftp: repository URL: ${JSON.stringify(url)}`);
  }
  const bad = (why: string) =>
    new DestinationError("DEST_CONFIG", `invalid sftp: URL (${why}); expected ${EXPECTED}`);
  let rest = url.slice("sftp:".length).replace(/^\/\//, "");
  let username: string | undefined;
  const at = rest.lastIndexOf("@", rest.indexOf("/") === -1 ? rest.length : rest.indexOf("/"));
  if (at !== -1) {
    username = decodeURIComponent(rest.slice(0, at));
    if (username.includes(":")) throw bad("passwords belong in EWSVAULT_SFTP_PASSWORD, not in the URL");
    if (username === "") throw bad("empty user name");
    rest = rest.slice(at + 1);
  }
  let host: string;
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close === -1) throw bad("unclosed [");
    host = rest.slice(1, close);
    rest = rest.slice(close + 1);
  } else {
    const end = rest.search(/[:/]/);
    host = end === -1 ? rest : rest.slice(0, end);
    rest = end === -1 ? "" : rest.slice(end);
  }
  if (host === "") throw bad("no host");
  let port = 22;
  if (rest.startsWith(":")) {
    const match = /^:(\d*)(\/.*)?$/.exec(rest);
    if (match === null) throw bad("port must be a number");
    if (match[1] !== "") port = Number(match[1]);
    if (!(port > 0 && port < 65536)) throw bad("port out of range");
    rest = match[2] ?? "";
  }
  if (!rest.startsWith("/")) throw bad("no path");
  const path = decodeURIComponent(rest);
  if (/[\u0000-\u001f]/.test(path)) throw bad("control characters in path");
  let root: string;
  if (path === "/~" || path.startsWith("/~/")) {
    root = path.slice(3).replace(/\/+$/, "") || ".";
  } else {
    root = path === "/" ? "/" : path.replace(/\/+$/, "");
  }
  return { username, host, port, root };
}

/**
 * Builds a destination from a repository URL and the environment:
 * EWSVAULT_SFTP_KEY_FILE (private key file), EWSVAULT_SFTP_KEY_PASSPHRASE, EWSVAULT_SFTP_PASSWORD,
 * SSH_AUTH_SOCK (ssh-agent, used when no key or password is given), EWSVAULT_SFTP_HOST_FINGERPRINT
 * ("SHA256:..."), EWSVAULT_SFTP_KNOWN_HOSTS (file; default ~/.ssh/known_hosts when it exists).
 * Throws DEST_CONFIG when no credential or no way to verify the host key is configured.
 */
export function createSftpDestinationFromUrl(
  url: string,
  env: Record<string, string | undefined> = process.env,
  extra: Partial<SftpDestinationOptions> = {},
): SftpDestination {
  const parsed = parseSftpUrl(url);
  const set = (value: string | undefined) => (value === undefined || value === "" ? undefined : value);
  const keyFile = set(env.EWSVAULT_SFTP_KEY_FILE);
  let privateKey: string | undefined;
  if (keyFile !== undefined) {
    try {
      privateKey = readFileSync(keyFile, "utf8");
    } catch (error) {
      throw new DestinationError(
        "DEST_CONFIG",
        `cannot read EWSVAULT_SFTP_KEY_FILE ${keyFile} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      );
    }
  }
  const password = set(env.EWSVAULT_SFTP_PASSWORD);
  const agent = privateKey === undefined && password === undefined ? set(env.SSH_AUTH_SOCK) : undefined;
  if (
    privateKey === undefined &&
    password === undefined &&
    agent === undefined &&
    extra.privateKey === undefined
  ) {
    throw new DestinationError(
      "DEST_CONFIG",
      "no SFTP credential: set EWSVAULT_SFTP_KEY_FILE, EWSVAULT_SFTP_PASSWORD or run an ssh-agent (SSH_AUTH_SOCK)",
    );
  }
  const fingerprint = set(env.EWSVAULT_SFTP_HOST_FINGERPRINT);
  let knownHostsPath = set(env.EWSVAULT_SFTP_KNOWN_HOSTS);
  if (knownHostsPath === undefined) {
    const home = set(env.HOME) ?? homedir();
    const fallback = join(home, ".ssh", "known_hosts");
    if (existsSync(fallback)) knownHostsPath = fallback;
  }
  if (fingerprint === undefined && knownHostsPath === undefined && extra.hostFingerprint === undefined) {
    throw new DestinationError(
      "DEST_CONFIG",
      `no way to verify the host key of ${parsed.host}: set EWSVAULT_SFTP_HOST_FINGERPRINT ("SHA256:..." from ` +
        "`ssh-keyscan <host> | ssh-keygen -lf -`, checked out of band) or EWSVAULT_SFTP_KNOWN_HOSTS",
    );
  }
  const options: SftpDestinationOptions = {
    host: parsed.host,
    port: parsed.port,
    username: parsed.username ?? set(env.USER) ?? userInfo().username,
    root: parsed.root,
    ...(privateKey === undefined ? {} : { privateKey }),
    ...(set(env.EWSVAULT_SFTP_KEY_PASSPHRASE) === undefined
      ? {}
      : { passphrase: env.EWSVAULT_SFTP_KEY_PASSPHRASE }),
    ...(password === undefined ? {} : { password }),
    ...(agent === undefined ? {} : { agent }),
    ...(fingerprint === undefined ? {} : { hostFingerprint: fingerprint }),
    ...(knownHostsPath === undefined ? {} : { knownHostsPath }),
    ...extra,
  };
  try {
    return createSftpDestination(options);
  } catch (error) {
    // From a URL, a bad value is a configuration problem, not a programmer mistake.
    if (error instanceof TypeError) throw new DestinationError("DEST_CONFIG", error.message);
    throw error;
  }
}
