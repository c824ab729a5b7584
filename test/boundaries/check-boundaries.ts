// The package boundaries of the workspace, as rules a machine checks (issue 14): which package may
// import which, and which directories inside core may not see each other. Biome checks import
// cycles; these are the rules it cannot express. The rules are pure functions over a snapshot of
// the workspace (package manifests plus each file's import specifiers) so the test can feed them a
// synthetic violation and prove each one can fail; readWorkspace() takes the snapshot from disk.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import ts from "typescript";

/** One file of a workspace package and the module specifiers it imports or re-exports. */
export interface SourceFile {
  /** Path from the workspace root, with forward slashes (e.g. "packages/core/src/index.ts"). */
  path: string;
  /** Every static import, re-export, `import("...")` and `require("...")` specifier, as written. */
  imports: readonly string[];
}

/** A workspace package: its manifest's name and dependency lists and its source files. */
export interface WorkspacePackage {
  name: string;
  /** Directory from the workspace root, forward slashes, no trailing slash (e.g. "packages/ews"). */
  dir: string;
  dependencies: readonly string[];
  devDependencies: readonly string[];
  peerDependencies: readonly string[];
  files: readonly SourceFile[];
}

export type BoundaryRule =
  | "undeclared-workspace-dependency"
  | "forbidden-dependency"
  | "relative-import-into-other-package";

export interface BoundaryViolation {
  rule: BoundaryRule;
  /** The importing file, or the package.json for a manifest-level violation. */
  file: string;
  /** The offending specifier or dependency name. */
  target: string;
}

const WORKSPACE_SCOPE = "@ewsvault/";
/**
 * The layering: what each package must never depend on or import (in any dependency field, from
 * src or test). The port depends on nothing of ours; sources (ews) build on the port, never on the
 * engine; the repository stores and finds bytes and never reaches up into the engine or a source;
 * destinations know only the destination port.
 */
export const FORBIDDEN: Readonly<Record<string, readonly string[]>> = {
  "@ewsvault/mailbox": ["@ewsvault/core", "@ewsvault/repository", "@ewsvault/ews", "@ewsvault/destination"],
  "@ewsvault/ews": ["@ewsvault/core", "@ewsvault/repository"],
  "@ewsvault/repository": ["@ewsvault/core", "@ewsvault/ews"],
  "@ewsvault/destination": ["@ewsvault/core", "@ewsvault/repository", "@ewsvault/ews"],
};

/** The package name a bare specifier names ("@ewsvault/core/x" -> "@ewsvault/core"), or undefined. */
function workspacePackageOf(specifier: string): string | undefined {
  if (!specifier.startsWith(WORKSPACE_SCOPE)) return undefined;
  const [scope, name] = specifier.split("/");
  return `${scope}/${name}`;
}

/** Where a relative specifier points, from the workspace root (forward slashes); undefined if bare. */
function resolveRelative(fromFile: string, specifier: string): string | undefined {
  if (!specifier.startsWith("./") && !specifier.startsWith("../")) return undefined;
  return join(dirname(fromFile), specifier).split(sep).join("/");
}

function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith("/") ? dir : `${dir}/`);
}

/** Every violation of the workspace's package boundaries; empty when the workspace is clean. */
export function checkBoundaries(packages: readonly WorkspacePackage[]): BoundaryViolation[] {
  const violations: BoundaryViolation[] = [];
  const workspaceNames = new Set(packages.map((p) => p.name));

  for (const pkg of packages) {
    const forbidden = new Set(FORBIDDEN[pkg.name] ?? []);
    for (const dep of [...pkg.dependencies, ...pkg.devDependencies, ...pkg.peerDependencies]) {
      if (forbidden.has(dep))
        violations.push({ rule: "forbidden-dependency", file: `${pkg.dir}/package.json`, target: dep });
    }
    const runtimeDeps = new Set([...pkg.dependencies, ...pkg.peerDependencies]);

    for (const file of pkg.files) {
      const inSrc = isInside(file.path, `${pkg.dir}/src`);
      for (const specifier of file.imports) {
        const imported = workspacePackageOf(specifier);
        if (imported !== undefined) {
          // Published code may only use what its manifest installs; a devDependency is not there
          // for the package's users.
          if (inSrc && imported !== pkg.name && workspaceNames.has(imported) && !runtimeDeps.has(imported)) {
            violations.push({ rule: "undeclared-workspace-dependency", file: file.path, target: specifier });
          }
          if (forbidden.has(imported)) {
            violations.push({ rule: "forbidden-dependency", file: file.path, target: specifier });
          }
          // "@ewsvault/x/src/..." reaches past x's exports just as a relative path would.
          if (imported !== pkg.name && specifier.startsWith(`${imported}/src/`)) {
            violations.push({
              rule: "relative-import-into-other-package",
              file: file.path,
              target: specifier,
            });
          }
          continue;
        }
        const target = resolveRelative(file.path, specifier);
        if (target === undefined) continue;
        // Another package's code is reached through its name and exports, never its src/ files.
        // (Benchmarks reuse measurement helpers from core's test/ this way; tests are not
        // published code, so that reach is allowed.)
        const owner = packages.find((other) => isInside(target, `${other.dir}/src`));
        if (owner !== undefined && owner.name !== pkg.name) {
          violations.push({ rule: "relative-import-into-other-package", file: file.path, target: specifier });
        }
      }
    }
  }
  return violations;
}

/** The module specifiers a TypeScript or JavaScript source imports, by TypeScript's own scanner. */
export function importsOf(source: string): string[] {
  const info = ts.preProcessFile(source, true, true);
  return info.importedFiles.map((f) => f.fileName);
}

const SOURCE_FILE = /\.(?:[cm]?[jt]s|tsx)$/;
const SKIPPED_DIRS = new Set(["node_modules", "dist", "results", ".turbo"]);

function listSources(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) out.push(...listSources(root, path));
    } else if (SOURCE_FILE.test(entry.name) && !entry.name.endsWith(".d.ts")) {
      out.push(path);
    }
  }
  return out;
}

/** Workspace package directories: packages/* plus the root-level workspace members. */
function packageDirs(root: string): string[] {
  const dirs = readdirSync(join(root, "packages"))
    .map((name) => `packages/${name}`)
    .filter((dir) => statSync(join(root, dir)).isDirectory());
  return [...dirs, "examples", "benchmarks"].filter((dir) => {
    try {
      return statSync(join(root, dir, "package.json")).isFile();
    } catch {
      return false;
    }
  });
}

/** A snapshot of the workspace at `root`, for checkBoundaries(). */
export function readWorkspace(root: string): WorkspacePackage[] {
  const absRoot = resolve(root);
  return packageDirs(absRoot).map((dir) => {
    const manifest = JSON.parse(readFileSync(join(absRoot, dir, "package.json"), "utf8")) as {
      name: string;
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    const files = listSources(absRoot, dir).map((path) => ({
      path: relative(absRoot, join(absRoot, path)).split(sep).join("/"),
      imports: importsOf(readFileSync(join(absRoot, path), "utf8")),
    }));
    return {
      name: manifest.name,
      dir,
      dependencies: Object.keys(manifest.dependencies ?? {}),
      devDependencies: Object.keys(manifest.devDependencies ?? {}),
      peerDependencies: Object.keys(manifest.peerDependencies ?? {}),
      files,
    };
  });
}
