// A Destination on any SFTP server, built for OpenSSH. Objects are files under a root
// directory; a save writes `<dir>/.tmp~<random>` and renames it into place, so readers see
// the old file or the new one, never a partial one. Plain SFTP rename refuses an existing
// target (OpenSSH links, then unlinks), which gives exclusive create for free;
// posix-rename@openssh.com replaces atomically for ordinary saves. Validation, the closed
// state, abort and retries come from BaseDestination; dialling from sftp-dialer.ts, the
// promisified protocol calls from sftp-calls.ts.
import { randomBytes } from "node:crypto";
import { posix } from "node:path";
import {
  BaseDestination,
  type DestinationCapabilities,
  DestinationError,
  isValidObjectName,
  type LoadOptions,
  type ObjectInfo,
  resolveLoadRange,
  type SaveOptions,
} from "@ewsvault/destination";
import type { Stats } from "ssh2";
import { SftpConnectionPool } from "./connection-pool.js";
import { SftpStatus, sftpStatus, toDestinationError } from "./errors.js";
import {
  type Conn,
  hasExtension,
  readRange,
  sftpClose,
  sftpFstat,
  sftpFsync,
  sftpMkdir,
  sftpOpen,
  sftpPosixRename,
  sftpReaddir,
  sftpRename,
  sftpStat,
  sftpStatvfs,
  sftpUnlink,
  writeAll,
} from "./sftp-calls.js";
import { SftpDialer } from "./sftp-dialer.js";
import { resolveSftpSettings, type SftpDestinationOptions, type SftpSettings } from "./sftp-options.js";

const TEMP_PREFIX = ".tmp~";

export class SftpDestination extends BaseDestination {
  readonly description: string;
  readonly capabilities: DestinationCapabilities;
  readonly #fsync: boolean;
  readonly #settings: SftpSettings;
  readonly #pool: SftpConnectionPool;
  readonly #knownDirs = new Set<string>();

  constructor(options: SftpDestinationOptions) {
    super(options?.retry);
    this.#settings = resolveSftpSettings(options);
    this.#fsync = options.fsync !== false;
    this.description = this.#settings.description;
    const { maxConnections } = this.#settings;
    this.capabilities = Object.freeze({
      maxConnections,
      atomicReplace: true,
      rangedReads: true,
      listAfterWriteConsistent: true,
    });
    const dialer = new SftpDialer(options, this.description);
    this.#pool = new SftpConnectionPool({
      maxConnections,
      description: this.description,
      connectConfig: () => dialer.connectConfig(),
      dialError: (error, config) => dialer.dialError(error, config),
    });
  }

  /** Successful SSH dials so far (for tests and diagnostics). */
  get connectionsDialled(): number {
    return this.#pool.dials;
  }

  /** Anything that failed because close() ended its connection is DEST_CLOSED. */
  protected mapError(error: unknown, operation: string, subject: string): DestinationError {
    if (this.closed) return this.closedError(error);
    return toDestinationError(error, operation, subject);
  }

  #path(name: string): string {
    return this.#settings.root === "/" ? `/${name}` : `${this.#settings.root}/${name}`;
  }

  protected async saveObject(name: string, data: Uint8Array, options: SaveOptions): Promise<void> {
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
              await writeAll(sftp, handle, body, this.#settings, options.signal);
              if (this.#fsync && hasExtension(sftp, "fsync@openssh.com")) await sftpFsync(sftp, handle);
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
      throw stage === "save" ? error : this.mapError(error, stage, name);
    }
  }

  protected loadObject(name: string, options: LoadOptions): Promise<Uint8Array> {
    return this.#pool.use(async (sftp) => {
      options.signal?.throwIfAborted();
      const handle = await sftpOpen(sftp, this.#path(name), "r");
      try {
        const stats = await sftpFstat(sftp, handle);
        if (!stats.isFile()) {
          throw new DestinationError("DEST_NOT_FOUND", `sftp load ${JSON.stringify(name)}: not a file`);
        }
        const range = resolveLoadRange(stats.size, options, name);
        return await readRange(
          sftp,
          handle,
          range.start,
          range.end - range.start,
          this.#settings,
          options.signal,
        );
      } finally {
        await sftpClose(sftp, handle).catch(() => undefined);
      }
    });
  }

  protected async statObject(name: string): Promise<ObjectInfo> {
    const stats = await this.#pool.use((sftp) => sftpStat(sftp, this.#path(name)));
    if (!stats.isFile()) {
      throw new DestinationError("DEST_NOT_FOUND", `sftp stat ${JSON.stringify(name)}: not a file`);
    }
    return { name, size: stats.size, modifiedAt: new Date(stats.mtime * 1000) };
  }

  protected async *listObjects(prefix: string): AsyncIterable<ObjectInfo> {
    // Start at the deepest directory the prefix names completely.
    const slash = prefix.lastIndexOf("/");
    const startDir = slash === -1 ? "" : prefix.slice(0, slash);
    type Listing = { relDir: string; entries?: Array<{ filename: string; attrs: Stats }>; error?: unknown };
    const readdir = (relDir: string): Promise<Listing> =>
      this.#pool
        .use((sftp) => sftpReaddir(sftp, relDir === "" ? this.#settings.root : this.#path(relDir)))
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
        throw error;
      }
      const files: ObjectInfo[] = [];
      for (const { filename, attrs } of entries) {
        if (filename === "." || filename === "..") continue;
        const name = relDir === "" ? filename : `${relDir}/${filename}`;
        if (!isValidObjectName(name)) continue; // temporary files (".tmp~...") and foreign names
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

  protected removeObject(name: string): Promise<void> {
    const path = this.#path(name);
    return this.#pool.use(async (sftp) => {
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
  }

  protected async closeStorage(): Promise<void> {
    await this.#pool.close();
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
}

export function createSftpDestination(options: SftpDestinationOptions): SftpDestination {
  return new SftpDestination(options);
}
