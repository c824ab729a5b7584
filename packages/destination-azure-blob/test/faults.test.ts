// Failure behaviour against a real Azurite: the server vanishing mid-upload, wrong
// credentials, and the error codes the repository relies on to decide whether to retry.
import { randomBytes } from "node:crypto";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { inspect } from "node:util";
import {
  AccountSASPermissions,
  AccountSASResourceTypes,
  AccountSASServices,
  BlobServiceClient,
  generateAccountSASQueryParameters,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import type { DestinationError } from "@ewsvault/destination";
import { destinationRejection as rejection } from "@ewsvault/destination/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAzureBlobDestination, createAzureBlobDestinationFromUrl } from "../src/index.js";
import { AZURITE_ACCOUNT, AZURITE_KEY, type AzuriteServer, startAzurite } from "./azurite-server.js";

let server: AzuriteServer;

beforeAll(async () => {
  server = await startAzurite();
});

afterAll(async () => {
  await server?.cleanup();
});

async function directoryBytes(path: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(path, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

describe("azure blob destination faults (Azurite)", () => {
  it("server stopped mid-upload: DEST_TRANSIENT, no partial blob after restart, retry succeeds", async () => {
    const destination = createAzureBlobDestination({
      accountUrl: server.accountUrl,
      accountName: AZURITE_ACCOUNT,
      accountKey: AZURITE_KEY,
      container: "faults",
      prefix: "repo",
      createContainer: true,
      blockSize: 1024 * 1024,
      uploadConcurrency: 2,
      maxTries: 2,
      retryDelayMs: 100,
      stallTimeoutMs: 10_000,
    });
    const before = randomBytes(1000);
    await destination.save("before", before);
    const big = randomBytes(48 * 1024 * 1024);
    const blobDir = join(server.location, "__blobstorage__");
    const startBytes = await directoryBytes(blobDir);
    const saving = rejection(destination.save("packs/big", big));
    // Stop the server once a few blocks have landed, i.e. truly part-way through.
    const deadline = Date.now() + 30_000;
    while ((await directoryBytes(blobDir)) < startBytes + 4 * 1024 * 1024) {
      if (Date.now() > deadline) throw new Error("upload never started");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await server.stop("SIGTERM");
    const error = await saving;
    expect(error.code).toBe("DEST_TRANSIENT");

    await server.start();
    const names: string[] = [];
    for await (const info of destination.list()) names.push(info.name);
    expect(names).not.toContain("packs/big");
    expect(names).toContain("before");
    expect((await rejection(destination.load("packs/big"))).code).toBe("DEST_NOT_FOUND");
    expect((await rejection(destination.stat("packs/big"))).code).toBe("DEST_NOT_FOUND");

    await destination.save("packs/big", big);
    const back = await destination.load("packs/big");
    expect(back.length).toBe(big.length);
    expect(Buffer.from(back).equals(big)).toBe(true);
    await destination.close();
  }, 90_000);

  it("a hung server (SIGSTOP): stalled stat, list and upload fail with DEST_TRANSIENT, then recover", async () => {
    const destination = createAzureBlobDestination({
      connectionString: server.connectionString,
      container: "hang",
      createContainer: true,
      blockSize: 1024 * 1024,
      maxTries: 2,
      retryDelayMs: 100,
      stallTimeoutMs: 1000,
      // One attempt per call: this case times stall detection, not the retries on top of it.
      retry: false,
    });
    await destination.save("x", randomBytes(1000));
    const started = Date.now();
    server.freeze(true);
    try {
      expect((await rejection(destination.stat("x"))).code).toBe("DEST_TRANSIENT");
      const listing = (async () => {
        for await (const _ of destination.list()) break;
      })();
      expect((await rejection(listing)).code).toBe("DEST_TRANSIENT");
    } finally {
      server.freeze(false);
    }
    // Three stalls of about a second each, not minutes.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect((await destination.stat("x")).size).toBe(1000);

    const big = randomBytes(32 * 1024 * 1024);
    const saving = rejection(destination.save("big", big));
    // Freeze almost at once: on an idle machine 32 MiB reach Azurite in well under 200 ms, and a
    // freeze before the first byte is as much a stall as one in the middle.
    await new Promise((resolve) => setTimeout(resolve, 20));
    server.freeze(true);
    let error: DestinationError;
    try {
      error = await saving;
    } finally {
      server.freeze(false);
    }
    expect(error.code).toBe("DEST_TRANSIENT");
    expect((await rejection(destination.stat("big"))).code).toBe("DEST_NOT_FOUND");
    await destination.save("big", big);
    expect((await destination.stat("big")).size).toBe(big.length);
  }, 90_000);

  it("wrong shared key: DEST_PERMISSION, one line, no secret in message or cause", async () => {
    const wrongKey = Buffer.alloc(64, 7).toString("base64");
    const destination = createAzureBlobDestination({
      accountUrl: server.accountUrl,
      accountName: AZURITE_ACCOUNT,
      accountKey: wrongKey,
      container: "faults",
      maxTries: 1,
    });
    for (const attempt of [
      () => destination.save("x", new Uint8Array(10)),
      () => destination.load("x"),
      () => destination.stat("x"),
      async () => {
        for await (const _ of destination.list()) break;
      },
    ]) {
      const error = await rejection(attempt());
      expect(error.code).toBe("DEST_PERMISSION");
      expect(error.message).not.toMatch(/[\r\n]/);
      expect(inspect(error, { depth: 5 })).not.toContain(wrongKey);
      expect(inspect(error, { depth: 5 })).not.toContain(wrongKey.slice(0, 20));
    }
    expect(destination.description).not.toContain(wrongKey);
  });

  it("SAS tokens: a valid one works, a tampered one is DEST_PERMISSION without the signature in it", async () => {
    const sas = generateAccountSASQueryParameters(
      {
        expiresOn: new Date(Date.now() + 3_600_000),
        permissions: AccountSASPermissions.parse("rwdlc"),
        resourceTypes: AccountSASResourceTypes.parse("sco").toString(),
        services: AccountSASServices.parse("b").toString(),
      },
      new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
    ).toString();
    const good = createAzureBlobDestination({
      accountUrl: server.accountUrl,
      sasToken: `?${sas}`,
      container: "sas",
      createContainer: true,
      maxTries: 1,
    });
    await good.save("a/b", Uint8Array.of(1, 2, 3));
    expect([...(await good.load("a/b"))]).toEqual([1, 2, 3]);
    expect(good.description).not.toContain("sig=");

    const signature = new URLSearchParams(sas).get("sig") ?? "";
    expect(signature.length).toBeGreaterThan(10);
    const tamperedSignature = Buffer.alloc(32, 1).toString("base64");
    const tampered = sas.replace(
      `sig=${encodeURIComponent(signature)}`,
      `sig=${encodeURIComponent(tamperedSignature)}`,
    );
    expect(tampered).not.toBe(sas);
    const bad = createAzureBlobDestination({
      accountUrl: server.accountUrl,
      sasToken: tampered,
      container: "sas",
      maxTries: 1,
    });
    const error = await rejection(bad.load("a/b"));
    expect(error.code).toBe("DEST_PERMISSION");
    expect(error.message).not.toMatch(/[\r\n]/);
    const shown = inspect(error, { depth: 5 });
    expect(shown).not.toContain(tamperedSignature);
    expect(shown).not.toContain(encodeURIComponent(tamperedSignature));
  });

  it("an aborted signal rejects with its reason and stores nothing", async () => {
    const destination = createAzureBlobDestination({
      connectionString: server.connectionString,
      container: "abort",
      createContainer: true,
    });
    await destination.save("warm", Uint8Array.of(1));
    const controller = new AbortController();
    controller.abort(new Error("stop-right-there"));
    await expect(destination.save("a", randomBytes(10), { signal: controller.signal })).rejects.toThrow(
      "stop-right-there",
    );
    await expect(destination.load("warm", { signal: controller.signal })).rejects.toThrow("stop-right-there");
    expect((await rejection(destination.stat("a"))).code).toBe("DEST_NOT_FOUND");
  });

  it("access tier is set on written blobs", async () => {
    const destination = createAzureBlobDestination({
      connectionString: server.connectionString,
      container: "tiers",
      prefix: "p",
      createContainer: true,
      accessTier: "Cool",
    });
    await destination.save("obj", randomBytes(100));
    const service = BlobServiceClient.fromConnectionString(server.connectionString);
    const properties = await service.getContainerClient("tiers").getBlobClient("p/obj").getProperties();
    expect(properties.accessTier).toBe("Cool");
  });

  it("immutability on an endpoint without it (Azurite): DEST_CONFIG and no object left behind", async () => {
    const destination = createAzureBlobDestination({
      connectionString: server.connectionString,
      container: "immutable",
      createContainer: true,
      immutability: { retentionDays: 7, mode: "Unlocked", appliesTo: (name) => name.startsWith("packs/") },
    });
    const error = await rejection(destination.save("packs/p1", randomBytes(100)));
    expect(error.code).toBe("DEST_CONFIG");
    expect((await rejection(destination.stat("packs/p1"))).code).toBe("DEST_NOT_FOUND");
    // Names outside appliesTo are written without a policy request.
    await destination.save("locks/l1", randomBytes(10));
    expect((await destination.stat("locks/l1")).size).toBe(10);
  });

  it("save into a missing container without createContainer: DEST_CONFIG", async () => {
    const destination = createAzureBlobDestination({
      connectionString: server.connectionString,
      container: "does-not-exist",
    });
    expect((await rejection(destination.save("x", randomBytes(1)))).code).toBe("DEST_CONFIG");
    expect((await rejection(destination.load("x"))).code).toBe("DEST_NOT_FOUND");
    const names: string[] = [];
    for await (const info of destination.list()) names.push(info.name);
    expect(names).toEqual([]);
  });

  it("an azure: emulator URL with AZURE_STORAGE_KEY from the environment reaches the server", async () => {
    const destination = createAzureBlobDestinationFromUrl(`azure:${server.accountUrl}/faults/from-url`, {
      AZURE_STORAGE_KEY: AZURITE_KEY,
    });
    await destination.save("x/y", Uint8Array.of(9));
    expect([...(await destination.load("x/y"))]).toEqual([9]);
    expect(destination.description).toBe(`azure:${server.accountUrl}/faults/from-url/`);
    const viaConnectionString = createAzureBlobDestinationFromUrl(
      `azure:${server.accountUrl}/faults/from-url`,
      {
        AZURE_STORAGE_CONNECTION_STRING: server.connectionString,
      },
    );
    expect([...(await viaConnectionString.load("x/y"))]).toEqual([9]);
  });
});
