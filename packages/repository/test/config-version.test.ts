// Config versions and blob codecs (docs/repository-crypto.md, "4. Compression"): new repositories
// are version 2 and write zstd; a version 1 repository, including one written by ewsvault before
// zstd (fixtures/v1-repository.json), opens, reads and verifies, and keeps getting brotli blobs so
// older readers can still read it; a config of a later version fails with a code of its own.
import { readFileSync } from "node:fs";
import { createMemoryDestination, type Destination } from "@ewsvault/destination";
import { type ErrorCode, isEwsVaultError } from "@ewsvault/mailbox";
import { describe, expect, it } from "vitest";
import { COMPRESSION } from "../src/compress/index.js";
import { CONFIG_VERSION, decodeConfig, encodeConfig } from "../src/config.js";
import { deriveRepositoryKeys } from "../src/crypto/index.js";
import { blobAd } from "../src/format.js";
import { initRepository, openRepository, type Repository } from "../src/index.js";
import { parsePack } from "../src/pack.js";
import type { RepositoryImpl } from "../src/repository.js";
import { createDeterministicSealer } from "../src/sealer.js";
import { concat, digest, FAST_KDF, mailText, names, PASSWORD, SMALL_CHUNKS, seededBytes } from "./helpers.js";

interface Fixture {
  readonly tree: string;
  readonly objects: Record<string, string>;
}
const FIXTURE = JSON.parse(
  readFileSync(new URL("./fixtures/v1-repository.json", import.meta.url), "utf8"),
) as Fixture;
/** What fixtures/v1-repository.json holds (written with SMALL_CHUNKS, 64 KiB packs). */
const FIXTURE_ITEMS = [
  mailText(1, 40_000),
  concat(mailText(2, 6_000), seededBytes(3, 12_000)),
  mailText(4, 200),
];

async function fixtureDestination(): Promise<Destination> {
  const destination = createMemoryDestination();
  for (const [name, base64] of Object.entries(FIXTURE.objects))
    await destination.save(name, new Uint8Array(Buffer.from(base64, "base64")));
  return destination;
}

/** Header byte of every blob in every pack, counted by header value. */
async function blobHeaders(repo: Repository, destination: Destination): Promise<Record<number, number>> {
  const { sealer } = repo as RepositoryImpl;
  const counts: Record<number, number> = {};
  for (const name of await names(destination, "data/")) {
    const pack = await destination.load(name);
    for (const e of parsePack(pack, sealer, name)) {
      const plain = sealer.open(pack.subarray(e.offset, e.offset + e.length), blobAd(e.type, e.id));
      const header = plain[0] as number;
      counts[header] = (counts[header] ?? 0) + 1;
    }
  }
  return counts;
}

function expectCode(code: ErrorCode, fn: () => unknown): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(isEwsVaultError(thrown, code), String(thrown)).toBe(true);
}

describe("repository config versions", () => {
  it("a version 1 repository written before zstd opens, reads byte for byte and verifies", async () => {
    const destination = await fixtureDestination();
    const repo = await openRepository({ destination, password: PASSWORD, workers: 0 });
    expect(repo.config.version).toBe(1);
    const headers = await blobHeaders(repo, destination);
    expect(headers[COMPRESSION.brotli]).toBeGreaterThan(0); // the fixture really holds brotli blobs
    expect(headers[COMPRESSION.zstd]).toBeUndefined();
    const [snapshot] = await repo.listSnapshots({ mailbox: "alice@example.com" });
    expect(snapshot?.tree).toBe(FIXTURE.tree);
    const tree = (await repo.loadTree(FIXTURE.tree)) as { items: { content: string[] }[] };
    expect(tree.items).toHaveLength(FIXTURE_ITEMS.length);
    for (const [i, item] of tree.items.entries())
      expect(digest(await repo.loadData(item.content))).toBe(digest(FIXTURE_ITEMS[i]!));
    expect((await repo.verify({ readData: true })).problems).toEqual([]);
    await repo.close();
  });

  it("writing into a version 1 repository keeps brotli (inline and pooled) and the config at 1", async () => {
    const destination = await fixtureDestination();
    const configBefore = await destination.load("config");
    for (const workers of [0, 2]) {
      const repo = await openRepository({ destination, password: PASSWORD, workers });
      const writer = await repo.startWriter();
      const saved = await writer.saveData(mailText(100 + workers, 60_000));
      await writer.close();
      expect(digest(await repo.loadData(saved.blobIds))).toBe(digest(mailText(100 + workers, 60_000)));
      const headers = await blobHeaders(repo, destination);
      expect(headers[COMPRESSION.zstd]).toBeUndefined();
      expect(headers[COMPRESSION.brotli]).toBeGreaterThan(0);
      await repo.close();
    }
    expect(Buffer.from(await destination.load("config")).equals(Buffer.from(configBefore))).toBe(true);
  });

  it("a new repository is version 2 and writes zstd blobs (inline and pooled); configVersion 1 writes brotli", async () => {
    for (const configVersion of [undefined, 2, 1] as const) {
      for (const workers of [0, 2]) {
        const destination = createMemoryDestination();
        const repo = await initRepository({
          destination,
          password: PASSWORD,
          kdf: FAST_KDF,
          chunkerParams: SMALL_CHUNKS,
          workers,
          ...(configVersion === undefined ? {} : { configVersion }),
        });
        const expected = configVersion ?? CONFIG_VERSION;
        expect(repo.config.version).toBe(expected);
        const writer = await repo.startWriter();
        const data = concat(mailText(7, 50_000), seededBytes(8, 20_000));
        const saved = await writer.saveData(data);
        const tree = await writer.saveTree({ name: "Inbox ".repeat(40), content: saved.blobIds });
        await writer.close();
        const headers = await blobHeaders(repo, destination);
        const used = expected === 2 ? COMPRESSION.zstd : COMPRESSION.brotli;
        const other = expected === 2 ? COMPRESSION.brotli : COMPRESSION.zstd;
        expect(headers[used]).toBeGreaterThan(1); // data chunks and the tree
        expect(headers[other]).toBeUndefined();
        expect(headers[COMPRESSION.stored]).toBeGreaterThan(0); // the random part
        await repo.close();
        const reopened = await openRepository({ destination, password: PASSWORD, workers: 0 });
        expect(reopened.config.version).toBe(expected);
        expect(digest(await reopened.loadData(saved.blobIds))).toBe(digest(data));
        expect(await reopened.loadTree(tree)).toEqual({ name: "Inbox ".repeat(40), content: saved.blobIds });
        await reopened.close();
      }
    }
  });

  it("refuses a config of a later version with REPO_VERSION_UNSUPPORTED, a malformed one with REPO_CORRUPT", async () => {
    const keys = deriveRepositoryKeys(Uint8Array.from({ length: 32 }, (_, i) => i));
    const sealer = createDeterministicSealer(keys.dataKey, 1);
    const base = {
      id: "ab".repeat(32),
      chunkerParams: { minSize: 8192, avgSize: 32768, maxSize: 131072 },
      packSize: 16 * 1024 * 1024,
      createdAt: "2026-01-01T00:00:00.000Z",
    };
    for (const version of [1, 2] as const)
      expect(decodeConfig(encodeConfig({ ...base, version }, sealer), sealer).version).toBe(version);
    let thrown: unknown;
    try {
      decodeConfig(encodeConfig({ ...base, version: 3 as never }, sealer), sealer);
    } catch (error) {
      thrown = error;
    }
    expect(isEwsVaultError(thrown, "REPO_VERSION_UNSUPPORTED")).toBe(true);
    expect((thrown as { details: Record<string, unknown> }).details).toMatchObject({
      version: 3,
      supported: [1, 2],
    });
    for (const version of [0, 1.5, "2", null])
      expectCode("REPO_CORRUPT", () =>
        decodeConfig(encodeConfig({ ...base, version: version as never }, sealer), sealer),
      );
    const notObject = sealer.seal(
      new TextEncoder().encode("null"),
      new TextEncoder().encode("ewsvault/v1/config"),
    );
    expectCode("REPO_CORRUPT", () => decodeConfig(notObject, sealer));

    // And through openRepository: a repository from a later ewsvault is refused before anything else.
    const destination = createMemoryDestination();
    const repo = await initRepository({ destination, password: PASSWORD, kdf: FAST_KDF, workers: 0 });
    const realSealer = (repo as RepositoryImpl).sealer;
    await repo.close();
    await destination.remove("config");
    await destination.save("config", encodeConfig({ ...base, version: 3 as never }, realSealer));
    await expect(openRepository({ destination, password: PASSWORD })).rejects.toMatchObject({
      code: "REPO_VERSION_UNSUPPORTED",
    });
    await expect(
      initRepository({
        destination: createMemoryDestination(),
        password: PASSWORD,
        configVersion: 3 as never,
      }),
    ).rejects.toThrow(TypeError);
  });
});
