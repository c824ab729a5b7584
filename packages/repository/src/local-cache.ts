// The optional local cache of one repository: sealed objects (pack index files, snapshots) kept
// on disk as they are stored, under their content-hash names, so reopening a repository does not
// download them again. It is only a cache: every read is decoded and checked against its name by
// the consumer, and every failure here is ignored (it costs a download, never correctness).
// Layout: <cacheDir>/<repository id>/<section>/<object id>.

import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** The section directories; their names are on disk in existing caches. */
export type CacheSectionName = "index" | "snapshots";

/** One section of the cache; every method swallows its own failures. */
export class CacheSection {
  constructor(private readonly dir: string | undefined) {}

  /** The cached bytes, or undefined when absent, unreadable, or caching is off. */
  async get(id: string): Promise<Uint8Array | undefined> {
    if (this.dir === undefined) return undefined;
    try {
      return new Uint8Array(await readFile(join(this.dir, id)));
    } catch {
      return undefined;
    }
  }

  /** Stores the bytes atomically (temporary file, then rename). */
  async put(id: string, bytes: Uint8Array): Promise<void> {
    if (this.dir === undefined) return;
    try {
      // Sealed bytes under content-hash names, but private all the same (0700/0600).
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      const tmp = join(this.dir, `.${id}.${randomBytes(6).toString("hex")}.tmp`);
      await writeFile(tmp, bytes, { mode: 0o600 });
      await rename(tmp, join(this.dir, id));
    } catch {
      // A cache that cannot be written only costs a download next time.
    }
  }

  /** Removes every entry not in `keep` (objects gone from the destination). */
  async retain(keep: ReadonlySet<string>): Promise<void> {
    if (this.dir === undefined) return;
    try {
      for (const name of await readdir(this.dir)) {
        if (!keep.has(name)) await rm(join(this.dir, name), { force: true });
      }
    } catch {
      // ignored: see put()
    }
  }
}

/** The cache of the repository with this id below `cacheDir`; no cacheDir, no caching. */
export function openLocalCache(
  cacheDir: string | undefined,
  repositoryId: string,
): Record<CacheSectionName, CacheSection> {
  const root = cacheDir === undefined ? undefined : join(cacheDir, repositoryId);
  const section = (name: CacheSectionName) =>
    new CacheSection(root === undefined ? undefined : join(root, name));
  return { index: section("index"), snapshots: section("snapshots") };
}
