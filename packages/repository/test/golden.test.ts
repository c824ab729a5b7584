// Golden vectors of format version 1 (docs/repository-format.md): a fixed master key and
// counter nonces (createDeterministicSealer, tests only) give exactly these bytes. A change here
// is a format change: bump FORMAT_VERSION and document it, never just update the vectors.
import { describe, expect, it } from "vitest";
import { blobId, openBlob, sealBlob } from "../src/blob.js";
import { decodeConfig, encodeConfig } from "../src/config.js";
import { deriveRepositoryKeys } from "../src/crypto/index.js";
import { decodeForgetRecord, encodeForgetRecord } from "../src/forget-records.js";
import { bytesToHex, canonicalJson, utf8 } from "../src/format.js";
import { PackBuilder, parsePack } from "../src/pack.js";
import { decodePackIndexFile, encodePackIndexFile } from "../src/pack-index-file.js";
import { createDeterministicSealer } from "../src/sealer.js";
import { decodeSnapshot, decodeSnapshotVersioned, encodeSnapshot } from "../src/snapshots.js";

const MASTER_KEY = Uint8Array.from({ length: 32 }, (_, i) => i);
const keys = deriveRepositoryKeys(MASTER_KEY);

function tinyPack() {
  const sealer = createDeterministicSealer(keys.dataKey, 1);
  const data = utf8("hello, mailbox");
  const tree = utf8(
    canonicalJson({ name: "Inbox", items: [{ content: [blobId(keys.idKey, "data", data)] }] }),
  );
  const dataId = blobId(keys.idKey, "data", data);
  const treeId = blobId(keys.idKey, "tree", tree);
  const builder = new PackBuilder();
  builder.add("data", dataId, sealBlob(sealer, "data", dataId, data), data.length);
  builder.add("tree", treeId, sealBlob(sealer, "tree", treeId, tree), tree.length);
  return { sealer, data, tree, dataId, treeId, pack: builder.finish(sealer) };
}

describe("format version 1 golden vectors", () => {
  it("blob ids", () => {
    const { dataId, treeId } = tinyPack();
    expect(dataId).toBe(GOLDEN.dataId);
    expect(treeId).toBe(GOLDEN.treeId);
  });

  it("a tiny pack, byte for byte, and it parses back", () => {
    const { sealer, pack, dataId, treeId, data, tree } = tinyPack();
    expect(bytesToHex(pack.bytes)).toBe(GOLDEN.packHex);
    expect(pack.id).toBe(GOLDEN.packId);
    const entries = parsePack(pack.bytes, sealer, "data/golden");
    expect(entries.map((e) => [e.type, e.id, e.offset, e.length, e.rawLength])).toEqual([
      ["data", dataId, 0, 28 + 1 + data.length, data.length],
      ["tree", treeId, 28 + 1 + data.length, pack.entries[1]!.length, tree.length],
    ]);
    const t = entries[1]!;
    const plain = openBlob(
      sealer,
      keys.idKey,
      "tree",
      treeId,
      pack.bytes.subarray(t.offset, t.offset + t.length),
      t.rawLength,
      {},
    );
    expect(plain).toEqual(tree);
  });

  it("an index file, a snapshot and a config", () => {
    const { sealer, pack } = tinyPack(); // nonces 1..3 used by the pack
    const index = encodePackIndexFile(
      { supersedes: [], packs: [{ packId: pack.id, size: pack.bytes.length, entries: pack.entries }] },
      sealer,
    );
    expect(bytesToHex(index.bytes)).toBe(GOLDEN.indexHex);
    expect(index.id).toBe(GOLDEN.indexId);
    expect(decodePackIndexFile(index.id, index.bytes, sealer).packs[0]!.entries).toEqual(pack.entries);

    const snapshot = encodeSnapshot(
      {
        mailbox: "alice@example.com",
        time: new Date("2026-01-02T03:04:05.000Z"),
        hostname: "host",
        tree: pack.entries[1]!.id,
      },
      sealer,
      1,
    );
    expect(snapshot.id).toBe(GOLDEN.snapshotId);
    expect(decodeSnapshot(snapshot.id, snapshot.bytes, sealer).mailbox).toBe("alice@example.com");

    const config = encodeConfig(
      {
        version: 1,
        id: "ab".repeat(32),
        chunkerParams: { minSize: 16384, avgSize: 65536, maxSize: 262144 },
        packSize: 16 * 1024 * 1024,
        createdAt: "2026-01-01T00:00:00.000Z",
      },
      sealer,
    );
    expect(bytesToHex(config)).toBe(GOLDEN.configHex);
    expect(decodeConfig(config, sealer).id).toBe("ab".repeat(32));
  });
});

// Canonical JSON (docs/repository-format.md, "Canonical JSON"): every tree blob's bytes, so its
// output is part of the format. Keys given out of order, in order, nested, non-ASCII and
// undefined; array holes; the values it must refuse.
describe("canonical JSON", () => {
  it("gives these bytes whatever order the keys were set in", () => {
    const expected =
      '{"Z":1,"a":[1,null,"x",{"b":true,"c":null}],"b":{"k":-0.5,"é":"ü","𝄞":0},"items":[],"n":1e+21}';
    const outOfOrder = {
      n: 1e21,
      items: [],
      b: { "𝄞": 0, é: "ü", k: -0.5, gone: undefined },
      a: [1, undefined, "x", { c: null, b: true }],
      Z: 1,
      skipped: undefined,
    };
    const inOrder = {
      Z: 1,
      a: [1, undefined, "x", { b: true, c: null }],
      b: { k: -0.5, é: "ü", "𝄞": 0 },
      items: [],
      n: 1e21,
    };
    expect(canonicalJson(outOfOrder)).toBe(expected);
    expect(canonicalJson(inOrder)).toBe(expected);
    expect(canonicalJson(Object.assign(Object.create(null), { b: 'q"', a: "\n" }))).toBe(
      '{"a":"\\n","b":"q\\""}',
    );
  });

  it("refuses what JSON cannot hold faithfully", () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 1n, () => 0, Symbol("s")]) {
      expect(() => canonicalJson({ x: [bad] })).toThrow(TypeError);
    }
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
    expect(() => canonicalJson({ when: new Date(0) })).toThrow(TypeError);
    expect(() => canonicalJson(new Map())).toThrow(TypeError);
  });
});

// Snapshot manifest version 2 and forget records (docs/repository-format.md, "Snapshots" and
// "Forget records"): added within format version 1; version 1 manifests stay readable.
describe("snapshot manifest version 2 and forget record golden vectors", () => {
  it("a version 2 snapshot with a parent and the forget record naming that parent", () => {
    const sealer = createDeterministicSealer(keys.dataKey, 100);
    const parent = "11".repeat(32);
    const snapshot = encodeSnapshot(
      {
        mailbox: "alice@example.com",
        time: new Date("2026-01-03T03:04:05.000Z"),
        hostname: "host",
        tree: GOLDEN.treeId,
        parent,
      },
      sealer,
    );
    expect(bytesToHex(snapshot.bytes)).toBe(GOLDEN_V2.snapshotHex);
    expect(snapshot.id).toBe(GOLDEN_V2.snapshotId);
    const decoded = decodeSnapshotVersioned(snapshot.id, snapshot.bytes, sealer);
    expect(decoded.version).toBe(2);
    expect(decoded.snapshot.parent).toBe(parent);

    const record = encodeForgetRecord(
      {
        forgottenAt: "2026-01-04T00:00:00.000Z",
        snapshots: [{ id: parent, mailbox: "alice@example.com", time: "2026-01-02T03:04:05.000Z" }],
      },
      sealer,
    );
    expect(bytesToHex(record.bytes)).toBe(GOLDEN_V2.forgetRecordHex);
    expect(record.id).toBe(GOLDEN_V2.forgetRecordId);
    expect(decodeForgetRecord(record.id, record.bytes, sealer).snapshots.map((s) => s.id)).toEqual([parent]);
  });

  it("the version 1 snapshot vector still decodes, as version 1", () => {
    const { sealer, pack } = tinyPack();
    encodePackIndexFile({ supersedes: [], packs: [] }, sealer); // nonce 4, as in the vector above
    const v1 = encodeSnapshot(
      {
        mailbox: "alice@example.com",
        time: new Date("2026-01-02T03:04:05.000Z"),
        hostname: "host",
        tree: pack.entries[1]!.id,
      },
      sealer,
      1,
    );
    expect(v1.id).toBe(GOLDEN.snapshotId);
    expect(decodeSnapshotVersioned(v1.id, v1.bytes, sealer).version).toBe(1);
  });
});

const GOLDEN_V2 = {
  snapshotId: "8cd90f08fcce8e71444a687e052e43330ccd5afb96bb9cf47b218cef882e023b",
  snapshotHex: [
    "00000000000000000000006455dc6c20ec8699ba4c3bca319ebb921e2722c22069b4b28ee9bff4f0d9c99ad40fd325e9",
    "32a56c9087613bf14e50b214c9cbee61816b6eb7074ca1c6e54bdbb3f200879da3e3e74f7adb3a435d941bcca8346747",
    "75640c8e3f51f5385f6da967e669d712062bc6c1000120733c569e37202c385c09d377a0c321840e5863827b5e9e0744",
    "b5dc3a377e31f70b056aa33338dda6510fd5c25b8c364bd91a90c60ff62797bb0eb836889ecddb4ed7e35db71f4e6d48",
    "e3fb4791d61ed94c383e380d091410f77ee32c45153f12f958a5cedd682c9e0c4a694514492460f81803f3374a6f9f0c",
    "3213346a8e2f510efba2055e22b239823515282b96c1367a8de14cbbf12ab7ecf6bb7c5fbc6ec6256836ff25e1936d8a",
    "ea9a7ff6254de55b641e3a57",
  ].join(""),
  forgetRecordId: "64486615b3391960a1d735db13796cd4aa04bc692adddd3dd82041c3edcc89aa",
  forgetRecordHex: [
    "00000000000000000000006576fc3a0e332b113402a63b34665b367897eb91eb887694ebaeb8dd68db5c2422592519ce",
    "aba57e5466a1b7822fc2cbebabdf9ac6381ae59ff043dfbc315304ef435a29de9e069bed475334fac3f5df0571605475",
    "ba58164e289424cff569b39c3ad53fbe2a024a4f17df61e26bc206562e06c49394a331c043d27787f5f482df3e997436",
    "87dcb8f4e8ff2a82cf9646d5a24ec06c0e6ce5b6511c15c9a69c1b203c586acfd8d6fe7d29e08fbb20f896fde37847f6",
    "2e48e0dfcae058dbeb50dec4a6d5ae190a40e70d6428140b18ffb33f9daa9a8beae6a561",
  ].join(""),
};

const GOLDEN = {
  dataId: "617e0a9895047ed6d5f9f0d82ff96833414a8b7c87920f1d4a611131699f0454",
  treeId: "d56e0ed5397c5e7e6136512df0133615cf0846ce2110143cbd8be50d8725032b",
  packId: "47081e867f330eca26dc49742568836ba78543ec32914bc58660df52dce2eee4",
  packHex: [
    "000000000000000000000001f9c852c25970972b7a368a50fcd61395fed6294b54fe99dba7efbfe7d0f10d0000000000",
    "000000000000026c0409bdd0dc137ae74a16c3c0fe38ed82691e5c94a21d8ab7a53fc798c2a79109122c43880235125c",
    "867c4658bd52ed71012e4d0d11961e13eab284b911380152f3e221fd18b7d2cc1cfe2c9a713a6c88d316c13db31b8f83",
    "9de041f3da4fc1cc5f4726a36267456ba8f794939a9b2025a6d28d6676dd78f90af4af0000000000000000000000039c",
    "8b0c79e61f8fd1bf63650f0d3dd5dfce5728e4065ef45ef0eb7021a95e2564fa4190930e7c8bcaeac26ea2e4a430a204",
    "b325d56ae88f1ef80ec174c6a68d070f12746172c8f2600985e9d646697b7a01004f201767f65d5287bd2200b30c54bf",
    "d457d90dddefde7bc1d6cf0482797b000000",
  ].join(""),
  indexId: "d98c691fce5f6cb56d496fb9a54cc42f5f1ca14f5289591707525cc05cba65e8",
  indexHex: [
    "000000000000000000000004d9740b4fb17dc1da03c1fc563457b5cca28c58a57ef02ef1669f6fcf1a7b94381bc13113",
    "172f2d27eac349e98b78173fe72e1521e61787ae22e064328b7ab6a220c052cebe0765a697bc2a7145df065b441e5f68",
    "5ce3e7bea9b27303f6e4aaf409e6665047698624e5139f58a36421d38ef19b1285b1620e8ea326b3c787e4e6fb9a59ac",
    "b1a1de16054a0d0a4b3e03607e7eb04ac4f67a9f7a0db67c6b0baf",
  ].join(""),
  snapshotId: "70f9ea9cdb66dc54b0337e086f4441a9816e18dbdd0234da087ee8b1a5809da7",
  configHex: [
    "00000000000000000000000622a90bee1f78fcf03c4abbeffd63d6fe085d268609b1325347422491b756658628ea3b9e",
    "eea4993172d93b788c88020165b0b00c23f733da1979f4bc154071ed0f42625cdfa5715ea87cb8ee6df5c5a2c6081c1e",
    "67b18ad32e9182448083f3908c9859f97592fb304db8aa4ac66d33489d34e4cfbee9057e56dfb9fcc8563db03f911b39",
    "b550c483d08595b920a5bc22dc05ed69bf06ed178d095516eeb9b301aaf76ce3a398dfa35aa7333051342214d258c0df",
    "2e7a334ba78ce75fd6cc85df9a4efdd811a10ed5788615939e9d8cff12944482f8dd5cd516643087274b8ca4ab1fbc",
  ].join(""),
};
