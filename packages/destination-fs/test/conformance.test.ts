// The shared conformance suite, twice: on the real file system, and through an fs layer that
// can make the disk "unavailable" (EBUSY on every call) for the transient-failure cases.
import { join } from "node:path";
import { describeDestinationConformance } from "@ewsvault/destination/testing";
import { createFsDestination } from "@ewsvault/destination-fs";
import { tempDir } from "@ewsvault/testkit";
import { afterAll } from "vitest";
import { errnoError, hookedFs } from "./helpers.js";

let base: { path: string; cleanup: () => Promise<void> } | undefined;
let counter = 0;
const freshRoot = async () => {
  base ??= await tempDir("ewsvault-fs-conformance-");
  // A root that does not exist yet: the destination must create it on demand.
  return join(base.path, `dest-${++counter}`, "root");
};

describeDestinationConformance("fs", {
  async create() {
    return createFsDestination({ root: await freshRoot() });
  },
});

afterAll(async () => {
  await base?.cleanup();
});

let unavailable = false;
const { fs: flakyFs } = hookedFs((method) => {
  if (unavailable) throw errnoError("EBUSY", method);
});

describeDestinationConformance(
  "fs with an fs layer that can become unavailable",
  {
    async create() {
      // Durability is covered by the first run; skipping directory fsyncs keeps this one quick.
      return createFsDestination({
        root: await freshRoot(),
        fs: flakyFs,
        maxConnections: 4,
        fsyncDirectories: false,
      });
    },
    faults: {
      async interrupt() {
        unavailable = true;
        return async () => {
          unavailable = false;
        };
      },
    },
  },
  { manyObjects: 300, largeObjectBytes: 1024 * 1024 },
);
