// `pnpm install --frozen-lockfile` prints no warning: the two causes it had are checked here
// statically, against the installed tree, so a new dependency that brings one back fails a test.
// 1. A bin pointing at dist/ (not built in a fresh checkout): "Failed to create bin".
// 2. A dependency with an install script that pnpm-workspace.yaml neither allows nor ignores:
//    the "Ignored build scripts" box.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { WORKSPACE_ROOT } from "./tarballs.js";

interface Manifest {
  name: string;
  bin?: string | Record<string, string>;
  scripts?: Record<string, string>;
}

function readManifest(path: string): Manifest {
  return JSON.parse(readFileSync(path, "utf8")) as Manifest;
}

function workspaceManifests(): { directory: string; manifest: Manifest }[] {
  const directories = [
    ...readdirSync(join(WORKSPACE_ROOT, "packages")).map((d) => join(WORKSPACE_ROOT, "packages", d)),
    join(WORKSPACE_ROOT, "examples"),
    join(WORKSPACE_ROOT, "benchmarks"),
  ];
  return directories
    .filter((directory) => existsSync(join(directory, "package.json")))
    .map((directory) => ({ directory, manifest: readManifest(join(directory, "package.json")) }));
}

/** Installed packages whose install runs a build: an (pre|post)install script or a binding.gyp. */
function packagesWithBuilds(): string[] {
  const store = join(WORKSPACE_ROOT, "node_modules", ".pnpm");
  const names = new Set<string>();
  for (const entry of readdirSync(store)) {
    // "ssh2@1.17.0", "@scope+name@1.0.0(peer@2)": the package sits at node_modules/<name>.
    const at = entry.indexOf("@", 1);
    if (at < 0) continue;
    const name = entry.slice(0, at).replace("+", "/");
    const directory = join(store, entry, "node_modules", name);
    if (!existsSync(join(directory, "package.json"))) continue;
    const scripts = readManifest(join(directory, "package.json")).scripts ?? {};
    const builds =
      scripts.preinstall !== undefined ||
      scripts.install !== undefined ||
      scripts.postinstall !== undefined ||
      existsSync(join(directory, "binding.gyp"));
    if (builds) names.add(name);
  }
  return [...names].sort();
}

/** The block lists under top-level keys of a YAML file ("key:" then "  - item" lines). */
function topLevelLists(text: string): Map<string, string[]> {
  const lists = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split("\n")) {
    const key = /^([A-Za-z][\w-]*):\s*$/.exec(line);
    if (key?.[1] !== undefined) {
      current = [];
      lists.set(key[1], current);
      continue;
    }
    const item = /^\s+-\s+["']?([^"'#\s]+)["']?\s*(#.*)?$/.exec(line);
    if (item?.[1] !== undefined && current !== undefined) current.push(item[1]);
    else if (/^\S/.test(line) && !line.startsWith("#")) current = undefined;
  }
  return lists;
}

describe("pnpm install hygiene", () => {
  it("no workspace package has a bin that a fresh checkout lacks (published bins live in publishConfig)", () => {
    const missing: string[] = [];
    for (const { directory, manifest } of workspaceManifests()) {
      const bins = typeof manifest.bin === "string" ? [manifest.bin] : Object.values(manifest.bin ?? {});
      for (const bin of bins)
        if (bin.includes("dist/") || !existsSync(join(directory, bin)))
          missing.push(`${manifest.name}: ${bin}`);
    }
    expect(missing).toEqual([]);
  });

  it("every dependency with an install build is explicitly allowed or ignored in pnpm-workspace.yaml", () => {
    const lists = topLevelLists(readFileSync(join(WORKSPACE_ROOT, "pnpm-workspace.yaml"), "utf8"));
    const allowed = lists.get("onlyBuiltDependencies") ?? [];
    const ignored = lists.get("ignoredBuiltDependencies") ?? [];
    expect(ignored).toEqual(expect.arrayContaining(["ssh2", "cpu-features"]));
    const decided = new Set([...allowed, ...ignored]);
    const building = packagesWithBuilds();
    // The tree has builds to decide (so this test is looking at the right place) ...
    expect(building).toEqual(expect.arrayContaining(["classic-level", "ssh2"]));
    // ... and each is decided.
    expect(building.filter((name) => !decided.has(name))).toEqual([]);
  });
});
