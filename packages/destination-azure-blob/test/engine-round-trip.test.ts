// The whole product through Azure Blob (engineRoundTrip from @ewsvault/engine-testkit): two
// mock-ews mailboxes backed up into a repository in Azurite (loopback), one restored into another
// mailbox, every byte verified — locks, packs, index and snapshots all as block blobs.
import { engineRoundTrip } from "@ewsvault/engine-testkit";
import { afterAll, beforeAll, it } from "vitest";
import { createAzureBlobDestinationFromUrl } from "../src/index.js";
import { AZURITE_KEY, type AzuriteServer, startAzurite } from "./azurite-server.js";

let azurite: AzuriteServer;

beforeAll(async () => {
  azurite = await startAzurite();
});

afterAll(async () => {
  await azurite?.cleanup();
});

it("backs up two mailboxes into Azure Blob and restores one into another mailbox", {
  timeout: 180_000,
}, async () => {
  // Through the same URL + environment path the CLI uses.
  const destination = createAzureBlobDestinationFromUrl(
    `azure:${azurite.accountUrl}/engine/repo`,
    { AZURE_STORAGE_KEY: AZURITE_KEY },
    { createContainer: true },
  );
  await engineRoundTrip(destination, { seed: 47, label: "Azure" });
});
