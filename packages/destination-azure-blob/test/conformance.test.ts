// The shared destination conformance suite against a real Azurite started here, and — when
// EWSVAULT_TEST_AZURE_REPO names a real account (credentials in the usual AZURE_STORAGE_*
// variables) — against that endpoint too.
import { randomUUID } from "node:crypto";
import type { Destination } from "@ewsvault/destination";
import { collect, describeDestinationConformance } from "@ewsvault/destination/testing";
import { beforeAll } from "vitest";
import { createAzureBlobDestination, createAzureBlobDestinationFromUrl } from "../src/index.js";
import { AZURITE_ACCOUNT, AZURITE_KEY, type AzuriteServer, startAzurite } from "./azurite-server.js";

let server: AzuriteServer | undefined;

beforeAll(async () => {
  server = await startAzurite();
  return async () => {
    await server?.cleanup();
  };
});

describeDestinationConformance(
  "azure blob (Azurite)",
  () => {
    const azurite = server;
    if (azurite === undefined) throw new Error("Azurite did not start");
    return {
      create: async () =>
        createAzureBlobDestination({
          accountUrl: azurite.accountUrl,
          accountName: AZURITE_ACCOUNT,
          accountKey: AZURITE_KEY,
          container: "conformance",
          prefix: `run-${randomUUID()}`,
          createContainer: true,
          blockSize: 1024 * 1024,
          // Fast failure while the fault case has the server stopped.
          maxTries: 2,
          retryDelayMs: 50,
          stallTimeoutMs: 20_000,
        }),
      faults: {
        interrupt: async () => {
          await azurite.stop();
          return () => azurite.start();
        },
      },
    };
  },
  { faults: true },
);

const realRepo = process.env.EWSVAULT_TEST_AZURE_REPO;
if (realRepo !== undefined && realRepo !== "") {
  const used: Destination[] = [];
  describeDestinationConformance(
    `azure blob (${realRepo.replace(/\?.*$/, "")})`,
    {
      create: async () => {
        const url = `${realRepo.replace(/\/+$/, "")}/ewsvault-test-${randomUUID()}`;
        // The suite closes what create() returns; a twin on the same prefix cleans up after it.
        used.push(createAzureBlobDestinationFromUrl(url));
        return createAzureBlobDestinationFromUrl(url);
      },
      cleanup: async () => {
        for (const destination of used) {
          for (const info of await collect(destination.list())) await destination.remove(info.name);
          await destination.close();
        }
      },
    },
    { manyObjects: 500 },
  );
}
