// The published packages as a stranger gets them: `pnpm pack` every publishable package (its
// prepack rebuilds dist/; the run on the next Node line reuses tarballs of the same sources), check what each tarball ships, `npm install` the tarballs into an empty
// project under the OS temp directory (third-party dependencies come from the npm registry),
// type-check a TypeScript consumer under strict NodeNext + exactOptionalPropertyTypes, run it
// (backup and restore against the installed mock) and run the installed `ewsvault` bin.
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run, startUntilFirstLine, userEnvironment } from "./processes.js";
import {
  type PackedManifest,
  packAll,
  publishablePackages,
  readTarball,
  tarballName,
  WORKSPACE_ROOT,
  type WorkspacePackage,
} from "./tarballs.js";

const CONSUMER_TEMPLATE = join(WORKSPACE_ROOT, "test", "pack", "consumer");
const TSC = join(WORKSPACE_ROOT, "node_modules", "typescript", "bin", "tsc");
const ENGINES_NODE = ">=22.15";

const packages: WorkspacePackage[] = publishablePackages();
let work = "";
let tarballDir = "";
let consumer = "";
const timings: Record<string, number | boolean> = {};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "ewsvault-pack-"));
  tarballDir = join(work, "tarballs");
  consumer = join(work, "consumer");
  await mkdir(tarballDir);
  await mkdir(consumer);
  const packed = await packAll(packages, tarballDir);
  timings.packMs = packed.ms;
  timings.tarballsReused = packed.reused;

  // Every published package is a dependency, and an override too, so the cross-package
  // dependencies ("@ewsvault/core": "<version>") resolve to these tarballs, never the registry.
  const fromTarballs = Object.fromEntries(
    packages.map((p) => [p.name, `file:${join(tarballDir, tarballName(p))}`]),
  );
  const manifest = {
    name: "ewsvault-pack-consumer",
    private: true,
    type: "module",
    dependencies: fromTarballs,
    devDependencies: { "@types/node": "^22" },
    overrides: fromTarballs,
  };
  await writeFile(join(consumer, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  await cp(join(CONSUMER_TEMPLATE, "tsconfig.json"), join(consumer, "tsconfig.json"));
  await cp(join(CONSUMER_TEMPLATE, "src"), join(consumer, "src"), { recursive: true });
  // --ignore-scripts: the workspace's own choice (pnpm-workspace.yaml) for ssh2's optional
  // native build; classic-level loads its prebuilt binary without an install script.
  const installed = await run(
    "npm",
    ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--prefer-offline", "--loglevel=error"],
    { cwd: consumer },
  );
  timings.npmInstallMs = installed.ms;
}, 900_000);

afterAll(async () => {
  console.log(`pack test timings: ${JSON.stringify(timings)}`);
  if (work !== "") await rm(work, { recursive: true, force: true });
});

describe("publishable packages, packed", () => {
  it("are the thirteen public @ewsvault packages, private helpers excluded, versioned as one group", async () => {
    expect(packages.map((p) => p.name)).toEqual([
      "@ewsvault/cli",
      "@ewsvault/core",
      "@ewsvault/destination",
      "@ewsvault/destination-azure-blob",
      "@ewsvault/destination-fs",
      "@ewsvault/destination-s3",
      "@ewsvault/destination-sftp",
      "@ewsvault/ews",
      "@ewsvault/mailbox",
      "@ewsvault/mock-ews",
      "@ewsvault/ntlm",
      "@ewsvault/repository",
      "@ewsvault/service",
    ]);
    // One fixed changesets group: the published packages always share a version, which is what
    // lets each pin its siblings exactly ("workspace:*" packs as the exact version).
    const changesets = JSON.parse(
      await readFile(join(WORKSPACE_ROOT, ".changeset", "config.json"), "utf8"),
    ) as {
      fixed: string[][];
      access: string;
    };
    expect(changesets.fixed).toEqual([packages.map((p) => p.name)]);
    expect(changesets.access).toBe("public");
  });

  it("ship real versions, the licence, metadata and only the built files their exports name", async () => {
    const names = new Set(packages.map((p) => p.name));
    for (const pkg of packages) {
      const { manifest, files } = await readTarball(join(tarballDir, tarballName(pkg)));
      expect(manifest.name).toBe(pkg.name);
      expect(manifest.version).toBe(pkg.version);
      for (const [dependency, range] of runtimeDependencies(manifest)) {
        expect(range, `${pkg.name} -> ${dependency}`).not.toMatch(/^workspace:/);
        // Runtime dependencies on our own packages name published ones at this exact version.
        if (dependency.startsWith("@ewsvault/")) {
          expect(names.has(dependency), `${pkg.name} depends on unpublished ${dependency}`).toBe(true);
          expect(range).toBe(pkg.version);
        }
      }
      expect(manifest.license).toBe("Apache-2.0");
      expect(files.has("LICENSE")).toBe(true);
      expect(files.has("README.md")).toBe(true);
      expect(manifest.repository?.directory).toBe(relative(WORKSPACE_ROOT, pkg.directory));
      expect(manifest.repository?.url).toMatch(/^git\+https:\/\//);
      expect(manifest.homepage).toMatch(/^https:\/\//);
      expect(manifest.keywords?.length ?? 0).toBeGreaterThan(0);
      expect(manifest.engines?.node).toBe(ENGINES_NODE);
      expect([...files].filter((f) => f.startsWith("src/"))).toEqual([]);

      const targets: string[] = [];
      for (const [subpath, conditions] of Object.entries(manifest.exports ?? {})) {
        // "source" points into src/ and is for the workspace only (publishConfig.exports).
        expect(Object.keys(conditions), `${pkg.name} exports ${subpath}`).toEqual(["types", "default"]);
        targets.push(...Object.values(conditions));
      }
      targets.push(...Object.values(manifest.bin ?? {}));
      expect(targets.length).toBeGreaterThan(0);
      for (const target of targets)
        expect(files.has(target.replace(/^\.\//, "")), `${pkg.name}: ${target}`).toBe(true);
    }
  });
});

describe("a project outside the workspace that installed the tarballs with npm", () => {
  it("type-checks its TypeScript under strict NodeNext with exactOptionalPropertyTypes", async () => {
    const tsconfig = await readFile(join(consumer, "tsconfig.json"), "utf8");
    expect(tsconfig).toMatch(/"exactOptionalPropertyTypes": true/);
    expect(tsconfig).toMatch(/"moduleResolution": "NodeNext"/);
    const compiled = await run(process.execPath, [TSC, "-p", "tsconfig.json"], { cwd: consumer });
    timings.typeCheckMs = compiled.ms;
    expect(compiled.stdout).toBe("");
  }, 300_000);

  it("backs a mailbox up from the installed mock-ews and restores it into another, every item identical", async () => {
    const consumerWork = join(work, "consumer-run");
    await mkdir(consumerWork);
    const { stdout } = await run(process.execPath, [join("dist", "consumer.js"), consumerWork], {
      cwd: consumer,
    });
    const result = JSON.parse(stdout.trim()) as {
      backedUp: number;
      originals: number;
      associated: number;
      restoredAssociated: number;
      restored: number;
      restoreFailed: number;
      identical: number;
      events: number;
    };
    // 24 generated items plus the folder-associated items every Exchange Inbox and Calendar hold.
    expect(result.originals).toBe(24);
    expect(result.associated).toBe(6);
    expect(result.backedUp).toBe(30);
    expect(result.restored).toBe(30);
    expect(result.restoreFailed).toBe(0);
    expect(result.identical).toBe(24);
    expect(result.restoredAssociated).toBe(6);
    expect(result.events).toBeGreaterThan(0);
  }, 180_000);

  it("loads every other published package at runtime", async () => {
    const { stdout } = await run(process.execPath, [join("dist", "every-package.js")], { cwd: consumer });
    const cli = packages.find((p) => p.name === "@ewsvault/cli");
    expect(JSON.parse(stdout.trim())).toEqual({
      cliVersion: cli?.version,
      memoryRoundTrip: "hello",
      notFoundCode: "DEST_NOT_FOUND",
      s3: {
        endpoint: "https://minio.example:9000",
        bucket: "backups",
        prefix: "exchange",
        forcePathStyle: true,
      },
      azure: {
        accountName: "account",
        accountUrl: "https://account.blob.core.windows.net",
        container: "container",
        prefix: "exchange",
      },
      sftp: { username: "backup", host: "sftp.example", port: 2222, root: "/srv/exchange" },
      serviceCronCode: "SERVICE_INVALID_CRON",
    });
  }, 120_000);

  it("runs the installed bins: ewsvault --version, and init + backup + snapshots against mock-ews", async () => {
    const bin = (name: string): string => join(consumer, "node_modules", ".bin", name);
    const cli = packages.find((p) => p.name === "@ewsvault/cli");
    const version = await run(bin("ewsvault"), ["--version"], { cwd: consumer });
    expect(version.stdout.trim()).toBe(cli?.version);

    const ewsPassword = "pack-test-ews-password";
    const mock = await startUntilFirstLine(
      bin("mock-ews"),
      ["--port", "0", "--mailboxes", "1", "--items", "6"],
      {
        cwd: consumer,
        env: userEnvironment({ MOCK_EWS_PASSWORD: ewsPassword }),
        timeoutMs: 60_000,
      },
    );
    try {
      const served = JSON.parse(mock.firstLine) as { url: string; username: string; mailboxes: string[] };
      const mailbox = served.mailboxes[0] ?? "";
      const env = userEnvironment({ EWSVAULT_PASSWORD: "pack test repository", EWS_PASSWORD: ewsPassword });
      const repo = ["--repo", join(work, "cli-repository"), "--cache-dir", join(work, "cli-cache")];
      await run(bin("ewsvault"), ["init", ...repo], { cwd: consumer, env });
      await run(
        bin("ewsvault"),
        [
          "backup",
          ...repo,
          "--ews-url",
          served.url,
          "--username",
          served.username,
          "--allow-insecure-basic",
          "--mailbox",
          mailbox,
          "--quiet",
        ],
        { cwd: consumer, env },
      );
      const listed = await run(bin("ewsvault"), ["snapshots", ...repo, "--json"], { cwd: consumer, env });
      const snapshots = JSON.parse(listed.stdout.trim()) as { mailbox: string; counts?: { items: number } }[];
      // The 6 generated items and the 6 folder-associated items of Inbox and Calendar.
      expect(snapshots.map((s) => [s.mailbox, s.counts?.items])).toEqual([[mailbox, 12]]);
    } finally {
      await mock.stop();
    }
  }, 180_000);
});

function runtimeDependencies(manifest: PackedManifest): [string, string][] {
  return [
    ...Object.entries(manifest.dependencies ?? {}),
    ...Object.entries(manifest.peerDependencies ?? {}),
    ...Object.entries(manifest.optionalDependencies ?? {}),
  ];
}
