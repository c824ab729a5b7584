// Test helpers: real tmpfs mounts (for ENOSPC and read-only behaviour) and an fs layer that
// fails on demand (for errno codes a test cannot provoke for real).

import { execFileSync } from "node:child_process";
import * as nodeFs from "node:fs/promises";
import type { FsLayer } from "@ewsvault/destination-fs";
import { tempDir } from "@ewsvault/testkit";

export interface Mount {
  readonly path: string;
  remount(options: string): void;
  unmount(): Promise<void>;
}

/** Mounts a fresh tmpfs with `options` (e.g. "size=1m"); throws, never skips, when mount is not permitted. */
export async function mountTmpfs(options: string): Promise<Mount> {
  const dir = await tempDir("ewsvault-fs-mount-");
  execFileSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir.path], { stdio: "pipe" });
  return {
    path: dir.path,
    remount(newOptions: string) {
      execFileSync("mount", ["-o", `remount,${newOptions}`, dir.path], { stdio: "pipe" });
    },
    async unmount() {
      // Lazy: a failed test may still hold a file open; the mount must not outlive the run.
      execFileSync("umount", ["--lazy", dir.path], { stdio: "pipe" });
      await dir.cleanup();
    },
  };
}

/** A Node-style system error with an errno code. */
export function errnoError(code: string, syscall = "test"): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: injected, ${syscall}`);
  error.code = code;
  error.syscall = syscall;
  return error;
}

type Method = keyof FsLayer | "write";

/**
 * node:fs/promises with a hook called before every call (and before writes through a handle
 * opened by it); the hook throws to inject a failure. `calls` records what ran, in order.
 */
export function hookedFs(hook: (method: Method, path: string) => void): { fs: FsLayer; calls: string[] } {
  const calls: string[] = [];
  const before = (method: Method, path: unknown) => {
    calls.push(`${method} ${String(path)}`);
    hook(method, String(path));
  };
  const fs: FsLayer = {
    mkdir: ((path: string, options: never) => {
      before("mkdir", path);
      return nodeFs.mkdir(path, options);
    }) as FsLayer["mkdir"],
    open: (async (path: string, flags?: string, mode?: number) => {
      before("open", path);
      const handle = await nodeFs.open(path, flags, mode);
      const writeFile = handle.writeFile.bind(handle);
      const sync = handle.sync.bind(handle);
      // Writes go through the hook too, after half the data landed, like a disk filling up mid-write.
      handle.writeFile = (async (data: Uint8Array) => {
        try {
          before("write", path);
        } catch (error) {
          await writeFile(data.subarray(0, data.length >> 1));
          throw error;
        }
        return writeFile(data);
      }) as typeof handle.writeFile;
      handle.sync = async () => {
        calls.push(`sync ${String(path)}`);
        return sync();
      };
      return handle;
    }) as FsLayer["open"],
    rename: (async (from: string, to: string) => {
      before("rename", to);
      return nodeFs.rename(from, to);
    }) as FsLayer["rename"],
    link: (async (from: string, to: string) => {
      before("link", to);
      return nodeFs.link(from, to);
    }) as FsLayer["link"],
    unlink: (async (path: string) => {
      before("unlink", path);
      return nodeFs.unlink(path);
    }) as FsLayer["unlink"],
    stat: ((path: string, options?: never) => {
      before("stat", path);
      return nodeFs.stat(path, options);
    }) as FsLayer["stat"],
    opendir: (async (path: string, options?: never) => {
      before("opendir", path);
      return nodeFs.opendir(path, options);
    }) as FsLayer["opendir"],
  };
  return { fs, calls };
}

/** Every file below `dir` (relative paths), including ones list() hides. */
export async function filesBelow(dir: string): Promise<string[]> {
  const entries = await nodeFs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => `${entry.parentPath}/${entry.name}`.slice(dir.length + 1))
    .sort();
}
