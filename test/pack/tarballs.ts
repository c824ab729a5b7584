// Packing for the pack test: which workspace packages are published, `pnpm pack` of each (its
// prepack script rebuilds dist/), and what a tarball holds.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { run, userEnvironment } from "./processes.js";

export const WORKSPACE_ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const PNPM = ["--yes", "pnpm@10.34.8"] as const;

export interface WorkspacePackage {
  readonly name: string;
  readonly version: string;
  readonly directory: string;
}

/** Every packages/* package that is not private: the ones `changeset publish` publishes. */
export function publishablePackages(): WorkspacePackage[] {
  const packagesDir = join(WORKSPACE_ROOT, "packages");
  const found: WorkspacePackage[] = [];
  for (const entry of readdirSync(packagesDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const directory = join(packagesDir, entry.name);
    const manifest = JSON.parse(readFileSync(join(directory, "package.json"), "utf8")) as {
      name: string;
      version: string;
      private?: boolean;
    };
    if (manifest.private !== true) found.push({ name: manifest.name, version: manifest.version, directory });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/** The tarball file name pnpm gives `name@version`: "@scope/pkg" -> "scope-pkg-version.tgz". */
export function tarballName(pkg: WorkspacePackage): string {
  return `${pkg.name.replace(/^@/, "").replace("/", "-")}-${pkg.version}.tgz`;
}

/**
 * A digest of everything a tarball is built from: the content of every file git tracks or would
 * track under packages/, the root manifests, lockfile and TypeScript configs, and the pnpm
 * version. Undefined outside a git checkout (then nothing is reused).
 */
function sourceDigest(): string | undefined {
  let listing: string;
  try {
    listing = execFileSync(
      "git",
      [
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
        "--",
        "packages",
        ":(glob)*.json",
        ":(glob)*.yaml",
      ],
      { cwd: WORKSPACE_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
    );
  } catch {
    return undefined;
  }
  const hash = createHash("sha256").update(PNPM.join(" "));
  for (const file of listing
    .split("\0")
    .filter((f) => f !== "")
    .sort()) {
    hash.update(`\0${file}\0`);
    try {
      hash.update(readFileSync(join(WORKSPACE_ROOT, file)));
    } catch {
      hash.update("(deleted)");
    }
  }
  return hash.digest("hex").slice(0, 32);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Packs `packages` with pnpm into `destination`. The suite runs once per supported Node line and
 * the tarballs do not depend on it (tsc's output and the packed files are the same), so tarballs
 * packed from the same sources (sourceDigest) are reused from node_modules/.cache: the build
 * happens once per checkout state, while everything that installs and runs them runs on each
 * Node. Resolves with pnpm's wall time in ms (0 when reused).
 */
export async function packAll(
  packages: readonly WorkspacePackage[],
  destination: string,
): Promise<{ readonly ms: number; readonly reused: boolean }> {
  const digest = sourceDigest();
  const cacheRoot = join(WORKSPACE_ROOT, "node_modules", ".cache", "ewsvault-pack");
  const cached = digest === undefined ? undefined : join(cacheRoot, digest);
  const names = packages.map(tarballName);
  if (cached !== undefined && (await Promise.all(names.map((n) => exists(join(cached, n))))).every(Boolean)) {
    for (const name of names) await cp(join(cached, name), join(destination, name));
    return { ms: 0, reused: true };
  }
  const filters = packages.flatMap((p) => ["--filter", p.name]);
  const result = await run("npx", [...PNPM, "-r", ...filters, "pack", "--pack-destination", destination], {
    cwd: WORKSPACE_ROOT,
    env: userEnvironment(),
  });
  if (cached !== undefined) {
    // Filled beside, then renamed into place: a reader never sees half a set. Older sets go.
    await rm(cacheRoot, { recursive: true, force: true });
    await mkdir(cacheRoot, { recursive: true });
    const filling = await mkdtemp(join(cacheRoot, "filling-"));
    for (const name of names) await cp(join(destination, name), join(filling, name));
    await rename(filling, cached);
  }
  return { ms: result.ms, reused: false };
}

/** Manifest fields the pack test inspects. */
export interface PackedManifest {
  readonly name: string;
  readonly version: string;
  readonly license?: string;
  readonly repository?: { type: string; url: string; directory?: string };
  readonly homepage?: string;
  readonly keywords?: string[];
  readonly engines?: { node?: string };
  readonly exports?: Record<string, Record<string, string>>;
  readonly bin?: Record<string, string>;
  readonly publishConfig?: Record<string, unknown>;
  readonly dependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
}

/** The package.json inside `tarball` and the paths of its files (without the "package/" prefix). */
export async function readTarball(
  tarball: string,
): Promise<{ manifest: PackedManifest; files: Set<string> }> {
  const cwd = WORKSPACE_ROOT;
  const manifestText = (await run("tar", ["-xzOf", tarball, "package/package.json"], { cwd })).stdout;
  const listing = (await run("tar", ["-tzf", tarball], { cwd })).stdout;
  const files = new Set(
    listing
      .split("\n")
      .filter((line) => line.length > 0)
      .map((line) => line.replace(/^package\//, "")),
  );
  return { manifest: JSON.parse(manifestText) as PackedManifest, files };
}
