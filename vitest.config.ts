import { defineConfig } from "vitest/config";

// One root config for every package: tests import workspace packages through the
// "source" export condition, so no build step sits between an edit and a test run.
export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"], externalConditions: ["source"] } },
  test: {
    include: [
      "packages/*/test/**/*.test.ts",
      "examples/test/**/*.test.ts",
      "benchmarks/test/**/*.test.ts",
      // The pack test: the published tarballs installed and used outside the workspace.
      "test/pack/*.test.ts",
      // Package boundaries (issue 14): which package may import which.
      "test/boundaries/*.test.ts",
    ],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: "forks",
    reporters: ["default"],
  },
});
