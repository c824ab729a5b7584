// A Destination on any SFTP server, built for OpenSSH. Objects are files under a root
// directory; a save writes `<dir>/.tmp~<random>` and renames it into place, so readers see
// the old file or the new one, never a partial one. Plain SFTP rename refuses an existing
// target (OpenSSH links, then unlinks), which gives exclusive create for free;
// posix-rename@openssh.com replaces atomically for ordinary saves.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { posix } from "node:path";
import {
  type Destination,
  type DestinationCapabilities,
  DestinationError,
  type LoadOptions,
  type ObjectInfo,
  type SaveOptions,
  resolveLoadRange,
  validateLoadOptions,
  validateObjectName,
  validateObjectPrefix,
} from "@ewsvault/destination";
import type { ConnectConfig, SFTPWrapper, Stats } from "ssh2";
import { type PooledSftp, SftpConnectionPool } from "./connection-pool.js";
import { SftpStatus, sftpStatus, toDestinationError } from "./errors.js";
import {
  type KnownHostEntry,
  hostKeyAlgorithms,
  knownHostsName,
  knownKeyTypes,
  normalizeFingerprint,
  parseKnownHosts,
  sha256Fingerprint,
  verifyAgainstKnownHosts,
} from "./known-hosts.js";

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
}

const TEMP_PREFIX = ".tmp~";

function positiveInteger(value: number | undefined, fallback: number, option: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`${option} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/**
 * Promisified SFTP call on one pooled connection; settles with DEST_TRANSIENT as soon as the
 * connection dies, even for requests ssh2 would leave unanswered.
 */
function call<T>(
  connection: PooledSftp,
  invoke: (sftp: SFTPWrapper, callback: (error: Error | null | undefined, value: T) => void) => void,
): Promise<T> {
  if (connection.broken) return connection.dead;
  const request = new Promise<T>((resolve, reject) => {
    invoke(connection.sftp, (error, value) => {
      if (error !== undefined && error !== null) reject(error);
      else resolve(value);
    });
  });
  return Promise.race([request, connection.dead]);
}

type Conn = PooledSftp;
const done = (cb: (error: Error | null | undefined, value: undefined) => void) => (error?: Error | null) =>
  cb(error, undefined);
const sftpOpen = (c: Conn, path: string, flags: "r" | "wx") =>
  call<Buffer>(c, (sftp, cb) => sftp.open(path, flags, cb));
const sftpClose = (c: Conn, handle: Buffer) => call<void>(c, (sftp, cb) => sftp.close(handle, done(cb)));
const sftpStat = (c: Conn, path: string) => call<Stats>(c, (sftp, cb) => sftp.stat(path, cb));
const sftpFstat = (c: Conn, handle: Buffer) => call<Stats>(c, (sftp, cb) => sftp.fstat(handle, cb));
const sftpUnlink = (c: Conn, path: string) => call<void>(c, (sftp, cb) => sftp.unlink(path, done(cb)));
const sftpMkdir = (c: Conn, path: string) => call<void>(c, (sftp, cb) => sftp.mkdir(path, done(cb)));
const sftpRename = (c: Conn, from: string, to: string) =>
  call<void>(c, (sftp, cb) => sftp.rename(from, to, done(cb)));
const sftpPosixRename = (c: Conn, from: string, to: string) =>
  call<void>(c, (sftp, cb) => sftp.ext_openssh_rename(from, to, done(cb)));
const sftpFsync = (c: Conn, handle: Buffer) =>
  call<void>(c, (sftp, cb) => sftp.ext_openssh_fsync(handle, done(cb)));
interface StatvfsInfo {
  readonly f_bsize: number | bigint;
  readonly f_frsize: number | bigint;
  readonly f_bavail: number | bigint;
  readonly f_favail: number | bigint;
}
const sftpStatvfs = (c: Conn, path: string) =>
  call<StatvfsInfo>(c, (sftp, cb) => sftp.ext_openssh_statvfs(path, cb));
const sftpReaddir = (c: Conn, path: string) =>
  call<Array<{ filename: string; attrs: Stats }>>(c, (sftp, cb) => sftp.readdir(path, cb));
const sftpWrite = (c: Conn, handle: Buffer, data: Buffer, offset: number, length: number, position: number) =>
  call<void>(c, (sftp, cb) => sftp.write(handle, data, offset, length, position, done(cb)));
const sftpRead = (c: Conn, handle: Buffer, into: Buffer, offset: number, length: number, position: number) =>
  call<number>(c, (sftp, cb) =>
    sftp.read(handle, into, offset, length, position, (e, bytesRead) => cb(e, bytesRead)),
  );

function hasExtension(connection: Conn, name: string): boolean {
  // ssh2 keeps the server's advertised extensions here; there is no public accessor.
  const extensions = (connection.sftp as unknown as { _extensions?: Record<string, string> })._extensions;
  return extensions?.[name] !== undefined;
}

/** Runs `task(i)` for i in [0, count) with at most `limit` in flight; rejects on the first failure. */
async function pipelined(
  count: number,
  limit: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < count) {
      const index = next++;
      try {
        await task(index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const workers = Array.from({ length: Math.min(limit, Math.max(count, 1)) }, worker);
  // Wait for every in-flight request before reporting, so no callback outlives the handle.
  const results = await Promise.allSettled(workers);
  const rejected = results.find((result) => result.status === "rejected");
  if (rejected !== undefined) throw (rejected as PromiseRejectedResult).reason;
}

export class SftpDestination implements Destination {
  readonly description: string;
  readonly capabilities: DestinationCapabilities;
  readonly #options: SftpDestinationOptions;
  readonly #root: string;
  readonly #port: number;
  readonly #chunkSize: number;
  readonly #inFlight: number;
  readonly #pool: SftpConnectionPool;
  readonly #knownDirs = new Set<string>();
  #knownHosts: KnownHostEntry[] | undefined;
  #closed = false;

  constructor(options: SftpDestinationOptions) {
    if (typeof options !== "object" || options === null) throw new TypeError("options are required");
    if (typeof options.host !== "string" || options.host === "") throw new TypeError("host is required");
    if (typeof options.username !== "string" || options.username === "")
      throw new TypeError("username is required");
    if (options.privateKey === undefined && options.password === undefined && options.agent === undefined) {
      throw new TypeError("one of privateKey, password or agent is required");
    }
    const root = options.root ?? ".";
    if (typeof root !== "string" || root === "" || /[\u0000-\u001f]/.test(root)) {
      throw new TypeError(`invalid root: ${JSON.stringify(root)}`);
    }
    if (options.hostFingerprint !== undefined) {
      const pins =
        typeof options.hostFingerprint === "string" ? [options.hostFingerprint] : options.hostFingerprint;
      for (const pin of pins) {
        if (normalizeFingerprint(pin) === undefined) {
          throw new TypeError(
            `hostFingerprint must look like "SHA256:<43 base64 characters>", got ${JSON.stringify(pin)}`,
          );
        }
      }
    }
    this.#options = options;
    this.#port = positiveInteger(options.port, 22, "port");
    this.#root = root === "/" ? "/" : root.replace(/\/+$/, "");
    this.#chunkSize = positiveInteger(options.chunkSize, 64 * 1024, "chunkSize");
    this.#inFlight = positiveInteger(options.requestsInFlight, 16, "requestsInFlight");
    const maxConnections = positiveInteger(options.maxConnections, 4, "maxConnections");
    const hostPart = options.host.includes(":") ? `[${options.host}]` : options.host;
    const rootPart = this.#root.startsWith("/") ? this.#root : `/~/${this.#root === "." ? "" : this.#root}`;
    this.description = `sftp:${options.username}@${hostPart}:${this.#port}${rootPart}`;
    this.capabilities = Object.freeze({
      maxConnections,
      atomicReplace: true,
      rangedReads: true,
      listAfterWriteConsistent: true,
    });
    this.#pool = new SftpConnectionPool({
      maxConnections,
      description: this.description,
      connectConfig: () => this.#connectConfig(),
      dialError: (error, config) => this.#dialError(error, config),
    });
  }

  /** Successful SSH dials so far (for tests and diagnostics). */
  get connectionsDialled(): number {
    return this.#pool.dials;
  }

  /** Why the host verifier refused, per dial (dials run concurrently). */
  readonly #refusals = new WeakMap<ConnectConfig, { reason: string; offered: string }>();

  #connectConfig(): ConnectConfig {
    const options = this.#options;
    const name = knownHostsName(options.host, this.#port);
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
      port: this.#port,
      username: options.username,
      readyTimeout: positiveInteger(options.readyTimeoutMs, 20_000, "readyTimeoutMs"),
      keepaliveInterval: positiveInteger(options.keepaliveIntervalMs, 10_000, "keepaliveIntervalMs"),
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

  #dialError(error: unknown, config: ConnectConfig | undefined): DestinationError {
    if (error instanceof DestinationError) return error;
    const verdict = config === undefined ? undefined : this.#refusals.get(config);
    if (verdict !== undefined) {
      if (verdict.reason === "unknown-host") {
        return new DestinationError(
          "DEST_CONFIG",
          `${this.description}: host ${knownHostsName(this.#options.host, this.#port)} is not in known_hosts ` +
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

  /** Maps a failure; anything that failed because close() ended its connection is DEST_CLOSED. */
  #failure(error: unknown, operation: string, subject: string): DestinationError {
    if (this.#closed) {
      return new DestinationError("DEST_CLOSED", `${this.description} is closed`, { cause: error });
    }
    return toDestinationError(error, operation, subject);
  }

  #path(name: string): string {
    return this.#root === "/" ? `/${name}` : `${this.#root}/${name}`;
  }

  #check(name: string): void {
    validateObjectName(name);
    if (this.#closed) throw new DestinationError("DEST_CLOSED", `${this.description} is closed`);
  }

  async #mkdirs(sftp: Conn, dir: string): Promise<void> {
    if (this.#knownDirs.has(dir) || dir === "." || dir === "/" || dir === "") return;
    try {
      await sftpMkdir(sftp, dir);
    } catch (error) {
      const status = sftpStatus(error);
      if (status === SftpStatus.NO_SUCH_FILE) {
        await this.#mkdirs(sftp, posix.dirname(dir));
        try {
          await sftpMkdir(sftp, dir);
        } catch (again) {
          if (!(await this.#isDirectory(sftp, dir))) throw again;
        }
      } else if (status === undefined || !(await this.#isDirectory(sftp, dir))) {
        // OpenSSH answers a plain FAILURE when the directory exists (also when another save
        // created it a moment ago); only a real directory there counts as success.
        throw error;
      }
    }
    this.#knownDirs.add(dir);
  }

  /** True when statvfs@openssh.com says `bytes` (plus a little slack) do not fit, or no inode is left. */
  async #lacksSpace(sftp: Conn, dir: string, bytes: number): Promise<boolean> {
    if (!hasExtension(sftp, "statvfs@openssh.com")) return false;
    try {
      const info = await sftpStatvfs(sftp, dir);
      const blockSize = Number(info.f_frsize) || Number(info.f_bsize) || 4096;
      const free = Number(info.f_bavail) * blockSize;
      return Number(info.f_favail) === 0 || free < bytes + 4 * blockSize;
    } catch {
      return false;
    }
  }

  async #isDirectory(sftp: Conn, path: string): Promise<boolean> {
    try {
      return (await sftpStat(sftp, path)).isDirectory();
    } catch {
      return false;
    }
  }

  async save(name: string, data: Uint8Array, options: SaveOptions = {}): Promise<void> {
    this.#check(name);
    if (!(data instanceof Uint8Array)) throw new TypeError("data must be a Uint8Array");
    // Copy first: the caller may reuse its buffer while requests are still being sent.
    const body = Buffer.from(data);
    const target = this.#path(name);
    const dir = posix.dirname(target);
    const temp = `${dir}/${TEMP_PREFIX}${randomBytes(12).toString("hex")}`;
    let stage = "save";
    try {
      await this.#pool.use(async (sftp) => {
        try {
          options.signal?.throwIfAborted();
          let handle: Buffer;
          try {
            handle = await sftpOpen(sftp, temp, "wx");
          } catch (error) {
            if (sftpStatus(error) !== SftpStatus.NO_SUCH_FILE) throw error;
            // Someone removed directories we had created; forget them all and walk up again.
            this.#knownDirs.clear();
            stage = "create directory for";
            await this.#mkdirs(sftp, dir);
            stage = "save";
            handle = await sftpOpen(sftp, temp, "wx");
          }
          try {
            try {
              await this.#writeAll(sftp, handle, body, options.signal);
              if (this.#options.fsync !== false && hasExtension(sftp, "fsync@openssh.com")) {
                await sftpFsync(sftp, handle);
              }
            } finally {
              await sftpClose(sftp, handle);
            }
            options.signal?.throwIfAborted();
            if (options.exclusive === true) {
              await this.#renameExclusive(sftp, temp, target, name);
            } else {
              if (!hasExtension(sftp, "posix-rename@openssh.com")) {
                throw new DestinationError(
                  "DEST_CONFIG",
                  `${this.description}: the server lacks posix-rename@openssh.com, so saves cannot replace files atomically`,
                );
              }
              await sftpPosixRename(sftp, temp, target);
            }
          } catch (error) {
            // Best effort: a broken connection cannot unlink; the temp name is hidden from
            // list() and never collides with an object name, so a leftover is only litter.
            await sftpUnlink(sftp, temp).catch(() => undefined);
            throw error;
          }
        } catch (error) {
          // OpenSSH reports ENOSPC as a bare SSH_FX_FAILURE; ask the file system whether the
          // object could fit at all.
          if (sftpStatus(error) === SftpStatus.FAILURE && (await this.#lacksSpace(sftp, dir, body.length))) {
            throw new DestinationError(
              "DEST_FULL",
              `sftp save ${JSON.stringify(name)}: no space left on the server for ${body.length} bytes`,
              { cause: error },
            );
          }
          throw error;
        }
      });
    } catch (error) {
      if (options.signal?.aborted === true && !(error instanceof DestinationError)) throw error;
      throw this.#failure(error, stage, name);
    }
  }

  async #renameExclusive(sftp: Conn, temp: string, target: string, name: string): Promise<void> {
    try {
      await sftpRename(sftp, temp, target);
    } catch (error) {
      const status = sftpStatus(error);
      if (status === SftpStatus.FILE_ALREADY_EXISTS) throw this.#exists(name);
      if (status === SftpStatus.FAILURE) {
        // SFTP v3 has no "exists" status: OpenSSH's link() fails with EEXIST and reports a
        // generic failure, so look whether the target is there.
        let exists = false;
        try {
          await sftpStat(sftp, target);
          exists = true;
        } catch {
          exists = false;
        }
        if (exists) throw this.#exists(name);
      }
      throw error;
    }
  }

  #exists(name: string): DestinationError {
    return new DestinationError("DEST_ALREADY_EXISTS", `sftp save ${JSON.stringify(name)}: already exists`);
  }

  async #writeAll(sftp: Conn, handle: Buffer, body: Buffer, signal?: AbortSignal): Promise<void> {
    const chunk = this.#chunkSize;
    const count = Math.ceil(body.length / chunk);
    await pipelined(count, this.#inFlight, async (index) => {
      signal?.throwIfAborted();
      const offset = index * chunk;
      await sftpWrite(sftp, handle, body, offset, Math.min(chunk, body.length - offset), offset);
    });
  }

  async load(name: string, options: LoadOptions = {}): Promise<Uint8Array> {
    validateObjectName(name);
    validateLoadOptions(options);
    this.#check(name);
    const path = this.#path(name);
    try {
      return await this.#pool.use(async (sftp) => {
        options.signal?.throwIfAborted();
        const handle = await sftpOpen(sftp, path, "r");
        try {
          const stats = await sftpFstat(sftp, handle);
          if (!stats.isFile()) {
            throw new DestinationError("DEST_NOT_FOUND", `sftp load ${JSON.stringify(name)}: not a file`);
          }
          const range = resolveLoadRange(stats.size, options, name);
          return await this.#readRange(sftp, handle, range.start, range.end - range.start, options.signal);
        } finally {
          await sftpClose(sftp, handle).catch(() => undefined);
        }
      });
    } catch (error) {
      if (options.signal?.aborted === true && !(error instanceof DestinationError)) throw error;
      throw this.#failure(error, "load", name);
    }
  }

  async #readRange(
    sftp: Conn,
    handle: Buffer,
    start: number,
    length: number,
    signal?: AbortSignal,
  ): Promise<Uint8Array> {
    const out = Buffer.alloc(length);
    const chunk = this.#chunkSize;
    const count = Math.ceil(length / chunk);
    let shortAt = length;
    await pipelined(count, this.#inFlight, async (index) => {
      signal?.throwIfAborted();
      let offset = index * chunk;
      const end = Math.min(offset + chunk, length);
      // A server may return fewer bytes than asked; keep reading until the chunk is full or EOF.
      while (offset < end) {
        let got: number;
        try {
          got = await sftpRead(sftp, handle, out, offset, end - offset, start + offset);
        } catch (error) {
          if (sftpStatus(error) === SftpStatus.EOF) got = 0;
          else throw error;
        }
        if (got === 0) {
          shortAt = Math.min(shortAt, offset);
          return;
        }
        offset += got;
      }
    });
    // The file was truncated under us (not by this package: saves rename whole files in).
    return shortAt < length ? out.subarray(0, shortAt) : out;
  }

  async stat(name: string): Promise<ObjectInfo> {
    this.#check(name);
    try {
      const stats = await this.#pool.use((sftp) => sftpStat(sftp, this.#path(name)));
      if (!stats.isFile()) {
        throw new DestinationError("DEST_NOT_FOUND", `sftp stat ${JSON.stringify(name)}: not a file`);
      }
      return { name, size: stats.size, modifiedAt: new Date(stats.mtime * 1000) };
    } catch (error) {
      throw this.#failure(error, "stat", name);
    }
  }

  async *list(prefix = ""): AsyncIterable<ObjectInfo> {
    validateObjectPrefix(prefix);
    if (this.#closed) throw new DestinationError("DEST_CLOSED", `${this.description} is closed`);
    // Start at the deepest directory the prefix names completely.
    const slash = prefix.lastIndexOf("/");
    const startDir = slash === -1 ? "" : prefix.slice(0, slash);
    type Listing = { relDir: string; entries?: Array<{ filename: string; attrs: Stats }>; error?: unknown };
    const readdir = (relDir: string): Promise<Listing> =>
      this.#pool
        .use((sftp) => sftpReaddir(sftp, relDir === "" ? this.#root : this.#path(relDir)))
        .then(
          (entries) => ({ relDir, entries }),
          (error: unknown) => ({ relDir, error }),
        );
    // Directories are read in parallel (one per pooled connection): a repository spreads its
    // packs over hundreds of directories, and one round trip each adds up over a WAN.
    const pending = [startDir];
    const running = new Set<Promise<Listing>>();
    while (pending.length > 0 || running.size > 0) {
      while (pending.length > 0 && running.size < this.capabilities.maxConnections) {
        const listing = readdir(pending.pop() as string);
        running.add(listing);
        listing.then(() => running.delete(listing));
      }
      const { relDir, entries, error } = await Promise.race(running);
      if (entries === undefined) {
        // A directory that is missing (or removed while we walk) simply holds no objects.
        if (sftpStatus(error) === SftpStatus.NO_SUCH_FILE) continue;
        throw this.#failure(error, "list", prefix);
      }
      const files: ObjectInfo[] = [];
      for (const { filename, attrs } of entries) {
        if (filename === "." || filename === "..") continue;
        const name = relDir === "" ? filename : `${relDir}/${filename}`;
        try {
          validateObjectName(name);
        } catch {
          continue; // temporary files (".tmp~...") and foreign names
        }
        if (attrs.isDirectory()) {
          const asDir = `${name}/`;
          if (asDir.startsWith(prefix) || prefix.startsWith(asDir)) pending.push(name);
        } else if (attrs.isFile() && name.startsWith(prefix)) {
          files.push({ name, size: attrs.size, modifiedAt: new Date(attrs.mtime * 1000) });
        }
      }
      yield* files;
    }
  }

  async remove(name: string): Promise<void> {
    this.#check(name);
    const path = this.#path(name);
    try {
      await this.#pool.use(async (sftp) => {
        try {
          await sftpUnlink(sftp, path);
        } catch (error) {
          const status = sftpStatus(error);
          if (status === SftpStatus.NO_SUCH_FILE) return;
          // A directory (a name that is only a prefix of objects) is not an object: nothing to remove.
          if (
            (status === SftpStatus.FAILURE || status === SftpStatus.PERMISSION_DENIED) &&
            (await this.#isDirectory(sftp, path))
          ) {
            return;
          }
          throw error;
        }
      });
    } catch (error) {
      throw this.#failure(error, "remove", name);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#pool.close();
  }
}

export function createSftpDestination(options: SftpDestinationOptions): SftpDestination {
  return new SftpDestination(options);
}
