// The workspace keeps its package boundaries (issue 14), and each rule can fail: every rule is
// also run against a synthetic workspace that breaks it.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkBoundaries, importsOf, readWorkspace, type WorkspacePackage } from "./check-boundaries.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

function pkg(
  name: string,
  dir: string,
  files: WorkspacePackage["files"],
  deps: string[] = [],
): WorkspacePackage {
  return { name, dir, dependencies: deps, devDependencies: [], peerDependencies: [], files };
}

/** A small clean workspace the synthetic cases each break in one place. */
function cleanWorkspace(): WorkspacePackage[] {
  return [
    pkg("@ewsvault/mailbox", "packages/mailbox", [{ path: "packages/mailbox/src/index.ts", imports: [] }]),
    pkg(
      "@ewsvault/ews",
      "packages/ews",
      [{ path: "packages/ews/src/index.ts", imports: ["@ewsvault/mailbox"] }],
      ["@ewsvault/mailbox"],
    ),
    pkg(
      "@ewsvault/repository",
      "packages/repository",
      [{ path: "packages/repository/src/repository.ts", imports: ["./pack.js", "@ewsvault/mailbox"] }],
      ["@ewsvault/mailbox"],
    ),
    pkg(
      "@ewsvault/core",
      "packages/core",
      [
        {
          path: "packages/core/src/engine/backup.ts",
          imports: ["@ewsvault/repository", "@ewsvault/mailbox"],
        },
        {
          path: "packages/core/test/backup.test.ts",
          imports: ["../src/engine/backup.js", "@ewsvault/testkit"],
        },
      ],
      ["@ewsvault/mailbox", "@ewsvault/repository"],
    ),
    pkg("@ewsvault/testkit", "packages/testkit", [{ path: "packages/testkit/src/index.ts", imports: [] }]),
  ];
}

function withFile(workspace: WorkspacePackage[], name: string, path: string, imports: string[]) {
  return workspace.map((p) => (p.name === name ? { ...p, files: [...p.files, { path, imports }] } : p));
}

describe("package boundaries", () => {
  it("hold in this workspace", () => {
    const workspace = readWorkspace(ROOT);
    expect(workspace.map((p) => p.name)).toEqual(
      expect.arrayContaining([
        "@ewsvault/core",
        "@ewsvault/ews",
        "@ewsvault/mailbox",
        "@ewsvault/repository",
      ]),
    );
    // The snapshot really holds the files the rules look at (an empty one would pass vacuously).
    const repository = workspace.find((p) => p.name === "@ewsvault/repository")!;
    const repositoryFiles = repository.files.filter((f) => f.path.startsWith("packages/repository/src/"));
    expect(repositoryFiles.length).toBeGreaterThan(5);
    expect(repositoryFiles.some((f) => f.imports.length > 0)).toBe(true);
    expect(checkBoundaries(workspace)).toEqual([]);
  });

  it("find a clean synthetic workspace clean", () => {
    expect(checkBoundaries(cleanWorkspace())).toEqual([]);
  });

  it("fail when @ewsvault/ews lists @ewsvault/core in its package.json", () => {
    const workspace = cleanWorkspace().map((p) =>
      p.name === "@ewsvault/ews" ? { ...p, devDependencies: ["@ewsvault/core"] } : p,
    );
    expect(checkBoundaries(workspace)).toEqual([
      { rule: "forbidden-dependency", file: "packages/ews/package.json", target: "@ewsvault/core" },
    ]);
  });

  // One file added to the clean workspace, one violation found.
  it.each([
    {
      why: "src imports a workspace package its package.json does not list as a dependency",
      owner: "@ewsvault/core",
      file: "packages/core/src/util.ts",
      target: "@ewsvault/testkit",
      rule: "undeclared-workspace-dependency",
    },
    {
      why: "@ewsvault/ews imports @ewsvault/core, from src or test",
      owner: "@ewsvault/ews",
      file: "packages/ews/test/x.test.ts",
      target: "@ewsvault/core/errors",
      rule: "forbidden-dependency",
    },
    {
      why: "the repository imports the engine, even from a test",
      owner: "@ewsvault/repository",
      file: "packages/repository/test/prune.test.ts",
      target: "@ewsvault/core",
      rule: "forbidden-dependency",
    },
    {
      why: "the repository reaches into the engine's src/ by relative path",
      owner: "@ewsvault/repository",
      file: "packages/repository/src/prune.ts",
      target: "../../core/src/engine/limits.js",
      rule: "relative-import-into-other-package",
    },
    {
      why: "the port imports a source, even from a test",
      owner: "@ewsvault/mailbox",
      file: "packages/mailbox/test/types.test.ts",
      target: "@ewsvault/ews",
      rule: "forbidden-dependency",
    },
    {
      why: "a package reaches into another package's src/ by relative path",
      owner: "@ewsvault/core",
      file: "packages/core/test/y.test.ts",
      target: "../../ews/src/client.js",
      rule: "relative-import-into-other-package",
    },
    {
      why: "a package imports another package's src/ through its name",
      owner: "@ewsvault/core",
      file: "packages/core/src/z.ts",
      target: "@ewsvault/mailbox/src/types.js",
      rule: "relative-import-into-other-package",
    },
  ] as const)("fail when $why", ({ owner, file, target, rule }) => {
    const workspace = withFile(cleanWorkspace(), owner, file, [target]);
    expect(checkBoundaries(workspace)).toEqual([{ rule, file, target }]);
  });

  it("read imports, re-exports, dynamic imports and requires, but not imports named in strings or comments", () => {
    const source = [
      'import type { A } from "./a.js";',
      'export { b } from "@ewsvault/b";',
      'const c = await import("./c.js");',
      'const d = require("d");',
      '// import x from "./commented.js";',
      "const s = \"import y from './in-string.js'\";",
    ].join("\n");
    expect(importsOf(source)).toEqual(["./a.js", "@ewsvault/b", "./c.js", "d"]);
  });
});
