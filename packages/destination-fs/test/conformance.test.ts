import { createFsDestination } from "@ewsvault/destination-fs";
import { describeDestinationConformance } from "@ewsvault/destination/testing";
import { tempDir } from "@ewsvault/testkit";
import { join } from "node:path";

let base: { path: string; cleanup: () => Promise<void> } | undefined;
let counter = 0;

describeDestinationConformance("fs", {
  async create() {
    base ??= await tempDir("ewsvault-fs-conformance-");
    // A root that does not exist yet: the destination must create it on demand.
    return createFsDestination({ root: join(base.path, `dest-${++counter}`, "root") });
  },
  async cleanup() {
    await base?.cleanup();
  },
});
