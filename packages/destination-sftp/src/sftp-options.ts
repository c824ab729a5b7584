// The options of an SFTP destination and what they resolve to: validated settings and a
// description safe to log (user, host, port and root; never a key or password).
import { integerOption, type RetryOption } from "@ewsvault/destination";
import { normalizeFingerprint } from "./known-hosts.js";

export interface SftpDestinationOptions {
  readonly host: string;
  /** Default 22. */
  readonly port?: number;
  readonly username: string;
  /** Directory holding the repository; relative paths start at the login directory. Default ".". */
  readonly root?: string;
  /** Private key (OpenSSH or PEM text). */
  readonly privateKey?: string | Buffer;
  readonly passphrase?: string;
  readonly password?: string;
  /** Path of an ssh-agent socket (e.g. process.env.SSH_AUTH_SOCK). */
  readonly agent?: string;
  /** Contents of an OpenSSH known_hosts file (plain and hashed |1| entries, @revoked honoured). */
  readonly knownHosts?: string;
  /** Path of a known_hosts file, read when the first connection is made. */
  readonly knownHostsPath?: string;
  /** Pinned host key fingerprint(s) as `ssh-keygen -l -E sha256` prints them ("SHA256:..."). */
  readonly hostFingerprint?: string | readonly string[];
  /** SSH connections (each with one SFTP channel) kept open at most. Default 4. */
  readonly maxConnections?: number;
  /** Handshake time limit in milliseconds. Default 20000. */
  readonly readyTimeoutMs?: number;
  /** Keepalive interval in milliseconds; 3 unanswered keepalives drop the connection. Default 10000. */
  readonly keepaliveIntervalMs?: number;
  /** Bytes per SFTP read/write request. Default 65536. */
  readonly chunkSize?: number;
  /** Read/write requests kept in flight per transfer. Default 16. */
  readonly requestsInFlight?: number;
  /** fsync the temporary file (fsync@openssh.com) before renaming it into place. Default true. */
  readonly fsync?: boolean;
  /**
   * Retrying of DEST_TRANSIENT (a dropped connection, a timeout; the retry dials afresh):
   * overrides of the default policy of @ewsvault/destination, or false.
   */
  readonly retry?: RetryOption;
}

/** What the destination's storage calls need, validated and defaulted. */
export interface SftpSettings {
  /** The root without trailing '/', or "/" itself. */
  readonly root: string;
  readonly port: number;
  readonly chunkSize: number;
  readonly requestsInFlight: number;
  readonly maxConnections: number;
  readonly description: string;
}

function validateFingerprints(hostFingerprint: string | readonly string[] | undefined): void {
  if (hostFingerprint === undefined) return;
  const pins = typeof hostFingerprint === "string" ? [hostFingerprint] : hostFingerprint;
  for (const pin of pins) {
    if (normalizeFingerprint(pin) === undefined) {
      throw new TypeError(
        `hostFingerprint must look like "SHA256:<43 base64 characters>", got ${JSON.stringify(pin)}`,
      );
    }
  }
}

/** Validates `options` (TypeError for anything malformed) and fills in the defaults. */
export function resolveSftpSettings(options: SftpDestinationOptions): SftpSettings {
  if (typeof options !== "object" || options === null) throw new TypeError("options are required");
  if (typeof options.host !== "string" || options.host === "") throw new TypeError("host is required");
  if (typeof options.username !== "string" || options.username === "")
    throw new TypeError("username is required");
  if (options.privateKey === undefined && options.password === undefined && options.agent === undefined) {
    throw new TypeError("one of privateKey, password or agent is required");
  }
  const rootOption = options.root ?? ".";
  if (typeof rootOption !== "string" || rootOption === "" || /[\u0000-\u001f]/.test(rootOption)) {
    throw new TypeError(`invalid root: ${JSON.stringify(rootOption)}`);
  }
  validateFingerprints(options.hostFingerprint);
  const port = integerOption(options.port, 22, "port");
  const root = rootOption === "/" ? "/" : rootOption.replace(/\/+$/, "");
  const hostPart = options.host.includes(":") ? `[${options.host}]` : options.host;
  const rootPart = root.startsWith("/") ? root : `/~/${root === "." ? "" : root}`;
  return {
    root,
    port,
    chunkSize: integerOption(options.chunkSize, 64 * 1024, "chunkSize"),
    requestsInFlight: integerOption(options.requestsInFlight, 16, "requestsInFlight"),
    maxConnections: integerOption(options.maxConnections, 4, "maxConnections"),
    description: `sftp:${options.username}@${hostPart}:${port}${rootPart}`,
  };
}
