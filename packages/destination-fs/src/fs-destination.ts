// A Destination on a local or mounted file system. Objects are plain files under `root`, one
// directory level per name segment. Every write goes to a temp file that is fsynced and then
// renamed (or hard-linked, for exclusive saves) over the final name, so a crash or a full disk
// leaves either the old object or the new one — never a torn file under an object's name.
// Validation, the closed state, abort and retries (EBUSY, EMFILE, ...) come from BaseDestination;
// this class is the file-system calls.

import { randomBytes } from "node:crypto";
import type { Dir } from "node:fs";
import * as nodeFs from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import {
  BaseDestination,
  type DestinationCapabilities,
  DestinationError,
  errorCodeOf as errnoCode,
  isValidObjectName,
  type LoadOptions,
  type ObjectInfo,
  type RetryOption,
  resolveLoadRange,
  type SaveOptions,
} from "@ewsvault/destination";
import pLimit, { type LimitFunction } from "p-limit";
import { toDestinationError } from "./errors.js";

/** The parts of node:fs/promises the destination uses; tests inject failures through it. */
export type FsLayer = Pick<
  typeof nodeFs,
  "open" | "mkdir" | "rename" | "link" | "unlink" | "stat" | "opendir"
>;

export interface FsDestinationOptions {
  /** Directory holding the objects; created on the first save. Relative paths resolve against the cwd. */
  readonly root: string;
  /** fsync each directory whose entries a save changed, so the new name survives a power loss; default true. */
  readonly fsyncDirectories?: boolean;
  /** Concurrent file operations (and capabilities.maxConnections); default 16. */
  readonly maxConnections?: number;
  /** File-system implementation; default node:fs/promises. Meant for tests that inject failures. */
  readonly fs?: FsLayer;
  /** Retrying of DEST_TRANSIENT (EBUSY, EMFILE, ...): overrides of the default policy, or false. */
  readonly retry?: RetryOption;
}

// Object-name segments never contain '~' (see validateObjectName), so a temp file can never be
// mistaken for, or collide with, an object — and list() hides it by the same rule.
const TEMP_PREFIX = "~tmp-";
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
// Enough parallel stat() calls to keep the thread pool busy while listing, few enough to stay cheap.
const LIST_STAT_BATCH = 64;

export class FsDestination extends BaseDestination {
  readonly description: string;
  readonly capabilities: DestinationCapabilities;
  readonly root: string;

  readonly #fs: FsLayer;
  readonly #fsyncDirectories: boolean;
  // At most maxConnections file operations at once, so a caller that fires thousands of saves
  // together queues here instead of running out of file descriptors (EMFILE).
  readonly #limit: LimitFunction;
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(options: FsDestinationOptions) {
    if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
    super(options.retry);
    if (typeof options.root !== "string" || options.root.length === 0) {
      throw new TypeError("options.root must be a non-empty path");
    }
    const maxConnections = options.maxConnections ?? 16;
    if (!Number.isSafeInteger(maxConnections) || maxConnections < 1) {
      throw new TypeError("options.maxConnections must be an integer >= 1");
    }
    this.root = resolve(options.root);
    this.#fs = options.fs ?? nodeFs;
    this.#fsyncDirectories = options.fsyncDirectories ?? true;
    this.#limit = pLimit(maxConnections);
    this.description = `fs:${this.root}`;
    this.capabilities = Object.freeze({
      maxConnections,
      atomicReplace: true,
      rangedReads: true,
      listAfterWriteConsistent: true,
    });
  }

  protected saveObject(name: string, data: Uint8Array, options: SaveOptions): Promise<void> {
    return this.#run(() => this.#save(name, data, options));
  }

  protected loadObject(name: string, options: LoadOptions): Promise<Uint8Array> {
    return this.#run(() => this.#load(name, options));
  }

  protected statObject(name: string): Promise<ObjectInfo> {
    return this.#run(async () => {
      const stats = await this.#fs.stat(this.#path(name));
      if (!stats.isFile()) throw notFound(name);
      return { name, size: stats.size, modifiedAt: stats.mtime };
    });
  }

  protected removeObject(name: string): Promise<void> {
    return this.#run(async () => {
      try {
        await this.#fs.unlink(this.#path(name));
      } catch (error) {
        const code = errnoCode(error);
        if (code === "ENOENT" || code === "ENOTDIR") return;
        // A directory is not an object, so there is nothing to remove (Linux says EISDIR, BSDs EPERM).
        if ((code === "EISDIR" || code === "EPERM") && (await this.#isDirectory(this.#path(name)))) return;
        throw error;
      }
    });
  }

  protected listObjects(prefix: string): AsyncIterable<ObjectInfo> {
    return this.#walk(prefix);
  }

  protected mapError(error: unknown, operation: string, name: string): unknown {
    return toDestinationError(error, operation, name);
  }

  /**
   * Deletes temp files that crashed or killed writers left behind, if they are older than
   * `olderThanMs` (default one hour, so a save still running in another process keeps its file).
   * Returns how many were removed. Not part of the Destination interface: a maintenance call for
   * tools that know they are talking to a file system.
   */
  async removeStaleTempFiles(options: { olderThanMs?: number } = {}): Promise<number> {
    const olderThanMs = options.olderThanMs ?? 3_600_000;
    if (!(Number.isFinite(olderThanMs) && olderThanMs >= 0)) throw new TypeError("olderThanMs must be >= 0");
    this.assertOpen();
    return this.#run(async () => {
      const cutoff = Date.now() - olderThanMs;
      let removed = 0;
      const pending = [this.root];
      while (pending.length > 0) {
        const directory = pending.pop() as string;
        let entries: Dir;
        try {
          entries = await this.#fs.opendir(directory, { bufferSize: 256 });
        } catch (error) {
          if (errnoCode(error) === "ENOENT") continue;
          throw error;
        }
        for await (const entry of entries) {
          const path = join(directory, entry.name);
          if (entry.isDirectory() && isValidObjectName(entry.name)) pending.push(path);
          else if (entry.isFile() && entry.name.startsWith(TEMP_PREFIX)) {
            try {
              if ((await this.#fs.stat(path)).mtimeMs > cutoff) continue;
              await this.#fs.unlink(path);
              removed++;
            } catch (error) {
              if (errnoCode(error) !== "ENOENT") throw error;
            }
          }
        }
      }
      return removed;
    }).catch((error: unknown) => {
      throw toDestinationError(error, "removeStaleTempFiles", "");
    });
  }

  protected async closeStorage(): Promise<void> {
    // Let running saves finish or clean up their temp files before the caller moves on.
    await Promise.allSettled([...this.#inFlight]);
  }

  #path(name: string): string {
    return join(this.root, ...name.split("/"));
  }

  /** Runs `body` within the connection limit, tracked so close() can wait for it. */
  async #run<T>(body: () => Promise<T>): Promise<T> {
    const task = this.#limit(async () => {
      // A call queued behind the limit when close() came must not start.
      this.assertOpen();
      return body();
    });
    this.#inFlight.add(task);
    try {
      return await task;
    } finally {
      this.#inFlight.delete(task);
    }
  }

  async #save(name: string, data: Uint8Array, options: SaveOptions): Promise<void> {
    const path = this.#path(name);
    const directory = dirname(path);
    const temp = join(directory, `${TEMP_PREFIX}${randomBytes(12).toString("hex")}`);
    let created: string[] = [];
    let tempExists = false;
    try {
      let handle: nodeFs.FileHandle;
      try {
        handle = await this.#fs.open(temp, "wx", FILE_MODE);
      } catch (error) {
        // Directories are made on demand: the common case (it exists) costs no extra call.
        if (errnoCode(error) !== "ENOENT") throw this.#openFailure(name, error);
        created = await this.#makeDirectories(name, directory);
        handle = await this.#fs.open(temp, "wx", FILE_MODE).catch((retry: unknown) => {
          throw this.#openFailure(name, retry);
        });
      }
      tempExists = true;
      try {
        await handle.writeFile(data);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      options?.signal?.throwIfAborted();
      if (options?.exclusive === true) {
        // link() fails with EEXIST instead of replacing, and the name appears complete or not at all.
        try {
          await this.#fs.link(temp, path);
        } catch (error) {
          if (errnoCode(error) === "EEXIST") {
            if (await this.#isDirectory(path)) throw conflict(name, error);
            throw new DestinationError("DEST_ALREADY_EXISTS", `${JSON.stringify(name)} already exists`, {
              cause: error,
            });
          }
          throw error;
        }
        // The object exists now; failing here would report a lock as not taken while it is.
        tempExists = false;
        await this.#fs.unlink(temp).catch(() => undefined);
      } else {
        try {
          await this.#fs.rename(temp, path);
        } catch (error) {
          const code = errnoCode(error);
          if (code === "EISDIR" || code === "ENOTEMPTY" || code === "EEXIST") throw conflict(name, error);
          throw error;
        }
        tempExists = false;
      }
    } finally {
      if (tempExists) await this.#fs.unlink(temp).catch(() => undefined);
    }
    if (this.#fsyncDirectories) {
      // New directories are durable only once their parents are synced too.
      const first = created[0];
      const directories = first === undefined ? [directory] : [dirname(first), ...created];
      for (const dir of directories) await this.#syncDirectory(dir);
    }
  }

  #openFailure(name: string, error: unknown): unknown {
    // ENOTDIR: some parent is a file, i.e. a shorter name is an object here.
    return errnoCode(error) === "ENOTDIR" ? conflict(name, error) : error;
  }

  /**
   * Creates `directory` and its missing parents, returning the ones it created, parents first.
   * Hand-made rather than mkdir({ recursive: true }) because Node reports ENOENT when an
   * intermediate mkdir fails with ENOSPC, which would turn a full disk into DEST_NOT_FOUND.
   */
  async #makeDirectories(name: string, directory: string): Promise<string[]> {
    const created: string[] = [];
    // Walk up until a mkdir succeeds or finds its directory, remembering the ones still to make.
    const pending: string[] = [];
    let current = directory;
    for (;;) {
      try {
        await this.#fs.mkdir(current, { mode: DIR_MODE });
        created.push(current);
        break;
      } catch (error) {
        const code = errnoCode(error);
        if (code === "EEXIST") break;
        if (code === "ENOENT" && dirname(current) !== current) {
          pending.push(current);
          current = dirname(current);
          continue;
        }
        if (code === "ENOTDIR") throw conflict(name, error);
        throw error;
      }
    }
    for (const dir of pending.reverse()) {
      try {
        await this.#fs.mkdir(dir, { mode: DIR_MODE });
        created.push(dir);
      } catch (error) {
        const code = errnoCode(error);
        // A concurrent save made it first: fine, as long as it is a directory (open will tell).
        if (code === "EEXIST") continue;
        if (code === "ENOTDIR") throw conflict(name, error);
        throw error;
      }
    }
    return created;
  }

  async #syncDirectory(directory: string): Promise<void> {
    const handle = await this.#fs.open(directory, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async #load(name: string, options: LoadOptions): Promise<Uint8Array> {
    const handle = await this.#fs.open(this.#path(name), "r");
    try {
      // Reading through one descriptor pins the inode: a concurrent rename cannot mix two versions.
      const stats = await handle.stat();
      if (!stats.isFile()) throw notFound(name);
      const { start, end } = resolveLoadRange(stats.size, options, name);
      const out = new Uint8Array(end - start);
      let filled = 0;
      while (filled < out.length) {
        options?.signal?.throwIfAborted();
        const { bytesRead } = await handle.read(out, filled, out.length - filled, start + filled);
        // Files are replaced by rename, never truncated in place, so a short read is a real fault.
        if (bytesRead === 0) throw new DestinationError("DEST_IO", `${JSON.stringify(name)} ended early`);
        filled += bytesRead;
      }
      return out;
    } finally {
      await handle.close();
    }
  }

  async #isDirectory(path: string): Promise<boolean> {
    try {
      return (await this.#fs.stat(path)).isDirectory();
    } catch {
      return false;
    }
  }

  /**
   * Depth-first walk from the deepest directory the prefix names, streaming entries with
   * opendir() so 100k-file trees never sit in memory as one array. Directories are entered only
   * when they can hold names starting with the prefix; temp and foreign files are never shown.
   */
  async *#walk(prefix: string): AsyncGenerator<ObjectInfo> {
    const cut = prefix.lastIndexOf("/");
    const startRelative = cut === -1 ? "" : prefix.slice(0, cut);
    const pending: string[] = [startRelative];
    while (pending.length > 0) {
      const relativeDir = pending.pop() as string;
      const absoluteDir = relativeDir === "" ? this.root : this.#path(relativeDir);
      let directory: Dir;
      try {
        directory = await this.#limit(() => this.#fs.opendir(absoluteDir, { bufferSize: 256 }));
      } catch (error) {
        const code = errnoCode(error);
        // A prefix whose directory does not exist (or is a file) simply has no objects under it.
        if (code === "ENOENT" || code === "ENOTDIR") continue;
        throw error;
      }
      let batch: string[] = [];
      // for-await closes the Dir when the loop ends, throws, or the consumer stops early.
      for await (const entry of directory) {
        this.assertOpen();
        // One segment is a valid name exactly when it is a valid segment: temp and foreign files fail.
        if (!isValidObjectName(entry.name)) continue;
        const name = relativeDir === "" ? entry.name : `${relativeDir}/${entry.name}`;
        if (entry.isDirectory()) {
          const asPrefix = `${name}/`;
          if (asPrefix.startsWith(prefix) || prefix.startsWith(asPrefix)) pending.push(name);
        } else if (entry.isFile() && name.startsWith(prefix)) {
          batch.push(name);
          if (batch.length >= LIST_STAT_BATCH) {
            yield* await this.#statBatch(batch);
            batch = [];
          }
        }
      }
      if (batch.length > 0) yield* await this.#statBatch(batch);
    }
  }

  async #statBatch(names: readonly string[]): Promise<ObjectInfo[]> {
    const infos = await Promise.all(
      names.map(async (name): Promise<ObjectInfo | undefined> => {
        try {
          const stats = await this.#limit(() => this.#fs.stat(this.#path(name)));
          return stats.isFile() ? { name, size: stats.size, modifiedAt: stats.mtime } : undefined;
        } catch (error) {
          // Removed between readdir and stat: it is simply no longer there.
          if (errnoCode(error) === "ENOENT") return undefined;
          throw error;
        }
      }),
    );
    return infos.filter((info): info is ObjectInfo => info !== undefined);
  }
}

function conflict(name: string, cause: unknown): DestinationError {
  return new DestinationError(
    "DEST_IO",
    `${JSON.stringify(name)} conflicts with a directory or file of another object name`,
    { cause },
  );
}

function notFound(name: string): DestinationError {
  return new DestinationError("DEST_NOT_FOUND", `${JSON.stringify(name)} not found`);
}

/** A Destination storing objects as files under options.root. */
export function createFsDestination(options: FsDestinationOptions): FsDestination {
  return new FsDestination(options);
}
