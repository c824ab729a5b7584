// The whole product through Azure Blob: the engine backs up two mock-ews mailboxes into a
// repository in Azurite (loopback), restores one into another mailbox, and the repository
// verifies with every byte read back — locks, packs, index and snapshots all as block blobs.
import { backup, initRepository, restore } from "@ewsvault/core";
import { createEwsClient } from "@ewsvault/ews";
import { startMockEwsServer } from "@ewsvault/mock-ews";
import { tempDir } from "@ewsvault/testkit";
import { afterAll, beforeAll, expect, it } from "vitest";
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
  const server = await startMockEwsServer({ seed: 47, mailboxes: 3, itemsPerMailbox: 15 });
  const ews = createEwsClient({ url: server.url, auth: { kind: "basic", ...server.credentials } });
  const index = await tempDir();
  // Through the same URL + environment path the CLI uses.
  const destination = createAzureBlobDestinationFromUrl(
    `azure:${azurite.accountUrl}/engine/repo`,
    { AZURE_STORAGE_KEY: AZURITE_KEY },
    { createContainer: true },
  );
  const repository = await initRepository({
    destination,
    password: "azure engine test",
    kdf: { N: 1024, r: 8, p: 1 },
  });
  try {
    const [a, b, target] = server.mailboxes as [string, string, string];
    const report = await backup({ repository, source: ews, mailboxes: [a, b], indexDirectory: index.path });
    expect(report.mailboxes.map((m) => m.status)).toEqual(["completed", "completed"]);
    const items = report.mailboxes[0]!.items;
    expect(items).toBeGreaterThan(0);

    const restored = await restore({
      repository,
      target: ews,
      mailbox: a,
      toMailbox: target,
      intoFolder: "From Azure",
    });
    expect(restored).toMatchObject({ restored: items, failed: 0 });
    for (const item of restored.items) {
      expect(server.getItem(item.targetItemId!).subject).toBe(
        item.subject ?? server.getItem(item.targetItemId!).subject,
      );
    }
    const verify = await repository.verify({ readData: true });
    expect(verify.problems).toEqual([]);
    expect(verify.checked.packsRead).toBeGreaterThan(0);
  } finally {
    await repository.close();
    await destination.close();
    await ews.close();
    await server.stop();
    await index.cleanup();
  }
});
