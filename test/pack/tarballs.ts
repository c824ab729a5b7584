// Packing for the pack test: which workspace packages are published, `pnpm pack` of each (its
// prepack script rebuilds dist/), and what a tarball holds.
import { readdirSync, readFileSync } from "node:fs";
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

/** Packs `packages` with pnpm into `destination`; resolves with pnpm's wall time in ms. */
export async function packAll(packages: readonly WorkspacePackage[], destination: string): Promise<number> {
  const filters = packages.flatMap((p) => ["--filter", p.name]);
  const result = await run("npx", [...PNPM, "-r", ...filters, "pack", "--pack-destination", destination], {
    cwd: WORKSPACE_ROOT,
    env: userEnvironment(),
  });
  return result.ms;
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
