// How an SFTP destination dials: the ssh2 connect config for its credentials, with mandatory
// host-key verification (pinned SHA256 fingerprints or known_hosts), and the errors a refused
// dial becomes — a host-key mismatch or failed login must say so, not "connection failed".
import { readFileSync } from "node:fs";
import { DestinationError, integerOption } from "@ewsvault/destination";
import type { ConnectConfig } from "ssh2";
import { toDestinationError } from "./errors.js";
import {
  hostKeyAlgorithms,
  type KnownHostEntry,
  knownHostsName,
  knownKeyTypes,
  normalizeFingerprint,
  parseKnownHosts,
  sha256Fingerprint,
  verifyAgainstKnownHosts,
} from "./known-hosts.js";
import type { SftpDestinationOptions } from "./sftp-options.js";

/** Builds connect configs for one destination and explains refused dials. */
export class SftpDialer {
  readonly #options: SftpDestinationOptions;
  readonly description: string;
  #knownHosts: KnownHostEntry[] | undefined;

  /** `options` are already validated (see resolveSftpSettings); `description` prefixes messages. */
  constructor(options: SftpDestinationOptions, description: string) {
    this.#options = options;
    this.description = description;
  }

  /** Why the host verifier refused, per dial (dials run concurrently). */
  readonly #refusals = new WeakMap<ConnectConfig, { reason: string; offered: string }>();

  /** The ssh2 config for one dial; throws DEST_CONFIG when there is no way to verify the host. */
  connectConfig(): ConnectConfig {
    const options = this.#options;
    const port = options.port ?? 22;
    const name = knownHostsName(options.host, port);
    const pins = (
      options.hostFingerprint === undefined
        ? []
        : typeof options.hostFingerprint === "string"
          ? [options.hostFingerprint]
          : [...options.hostFingerprint]
    ).map((pin) => normalizeFingerprint(pin) as string);
    let entries: KnownHostEntry[] | undefined;
    if (options.knownHosts !== undefined) entries = parseKnownHosts(options.knownHosts);
    else if (options.knownHostsPath !== undefined) {
      if (this.#knownHosts === undefined) {
        try {
          this.#knownHosts = parseKnownHosts(readFileSync(options.knownHostsPath, "utf8"));
        } catch (error) {
          throw new DestinationError(
            "DEST_CONFIG",
            `${this.description}: cannot read known_hosts file ${options.knownHostsPath} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
          );
        }
      }
      entries = this.#knownHosts;
    }
    if (pins.length === 0 && entries === undefined) {
      throw new DestinationError(
        "DEST_CONFIG",
        `${this.description}: no host key to verify against; pin it with hostFingerprint ("SHA256:..." from ` +
          "`ssh-keygen -l -E sha256 -f <host key>.pub` on the server, or `ssh-keyscan -p <port> <host> | ssh-keygen -lf -`) " +
          "or give knownHosts/knownHostsPath",
      );
    }
    const algorithms =
      pins.length === 0 && entries !== undefined ? hostKeyAlgorithms(knownKeyTypes(entries, name)) : [];
    const config: ConnectConfig = {
      host: options.host,
      port,
      username: options.username,
      readyTimeout: integerOption(options.readyTimeoutMs, 20_000, "readyTimeoutMs"),
      keepaliveInterval: integerOption(options.keepaliveIntervalMs, 10_000, "keepaliveIntervalMs"),
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        const offered = sha256Fingerprint(key);
        if (pins.includes(offered)) return true;
        if (entries !== undefined) {
          const verdict = verifyAgainstKnownHosts(entries, name, key);
          if (verdict.ok) return true;
          this.#refusals.set(config, verdict);
          return false;
        }
        this.#refusals.set(config, { reason: "mismatch", offered });
        return false;
      },
      ...(algorithms.length > 0 ? { algorithms: { serverHostKey: algorithms as never } } : {}),
      ...(options.privateKey === undefined ? {} : { privateKey: options.privateKey }),
      ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
      ...(options.password === undefined ? {} : { password: options.password }),
      ...(options.agent === undefined ? {} : { agent: options.agent }),
    };
    return config;
  }

  /** The error callers see for a failed dial made with `config`: host-key verdicts, authentication. */
  dialError(error: unknown, config: ConnectConfig | undefined): DestinationError {
    if (error instanceof DestinationError) return error;
    const verdict = config === undefined ? undefined : this.#refusals.get(config);
    if (verdict !== undefined) {
      if (verdict.reason === "unknown-host") {
        return new DestinationError(
          "DEST_CONFIG",
          `${this.description}: host ${knownHostsName(this.#options.host, this.#options.port ?? 22)} is not in known_hosts ` +
            `(it offered ${verdict.offered}); add it or pin hostFingerprint`,
        );
      }
      return new DestinationError(
        "DEST_PERMISSION",
        `${this.description}: host key mismatch (server offered ${verdict.offered}${verdict.reason === "revoked" ? ", a revoked key" : ""})`,
      );
    }
    const level = (error as { level?: unknown } | null)?.level;
    if (level === "client-authentication") {
      return new DestinationError("DEST_PERMISSION", `${this.description}: authentication failed`);
    }
    return toDestinationError(error, "connect to", this.description);
  }
}
