// File modes of the local caches: directories 0700, files 0600, whatever the umask says.
//
// LevelDB creates its files with the process umask (usually 0644) while it runs and offers no
// mode option. The directory is created 0700 first, so those files are unreachable by anyone
// else from the moment they exist, and every file is set to 0600 on open and on close so that a
// copied or re-permissioned directory holds nothing readable by others either.
import { chmod, lstat, mkdir, open, readdir, rm } from "node:fs/promises";
import { join } from "node:path";

export const PRIVATE_DIRECTORY_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates the directory (and missing parents) 0700, and sets an existing one to 0700. */
export async function ensurePrivateDirectory(directory: string): Promise<void> {
  await mkdir(directory, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  await chmod(directory, PRIVATE_DIRECTORY_MODE);
}

/** Sets every file below directory to 0600 and every directory to 0700 (symlinks are skipped). */
export async function restrictTree(directory: string): Promise<void> {
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      await chmod(path, PRIVATE_DIRECTORY_MODE);
      await restrictTree(path);
    } else if (entry.isFile()) {
      // A file LevelDB removed meanwhile (a compacted table) needs no mode.
      await chmod(path, PRIVATE_FILE_MODE).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT") throw error;
      });
    }
  }
}

/**
 * Removes a directory that held plaintext: every regular file is overwritten with zeros and
 * flushed before the tree is deleted. Best effort by nature: a copy-on-write or journalling
 * filesystem, or an SSD's wear levelling, may keep old blocks; it still keeps the plaintext
 * from being recoverable through the filesystem itself. A missing directory is no error.
 */
export async function removeOverwriting(directory: string): Promise<void> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) await removeOverwriting(path);
    else if (entry.isFile()) await overwriteWithZeros(path);
  }
  await rm(directory, { recursive: true, force: true });
}

const ZEROS = new Uint8Array(1024 * 1024);

async function overwriteWithZeros(path: string): Promise<void> {
  const size = (await lstat(path)).size;
  const handle = await open(path, "r+");
  try {
    for (let position = 0; position < size; position += ZEROS.length) {
      await handle.write(ZEROS, 0, Math.min(ZEROS.length, size - position), position);
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
}
