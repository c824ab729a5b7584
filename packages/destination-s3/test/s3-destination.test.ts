// S3-specific behaviour against a real S3-compatible server (moto on loopback): multipart
// uploads, ranges, create-only writes, aborts, the key prefix, storage class and Object Lock as
// the server records them. The generic contract is covered by the shared conformance suite.
import { randomBytes } from "node:crypto";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { isDestinationError } from "@ewsvault/destination";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createS3Destination, type S3DestinationOptions, toDestinationError } from "../src/index.js";
import {
  adminClient,
  createBucket,
  MOTO_ACCESS_KEY,
  MOTO_SECRET_KEY,
  type MotoServer,
  startMotoServer,
} from "./support/moto-server.js";

const BUCKET = "ewsvault-s3-behaviour";
const MIB = 1024 * 1024;
let server: MotoServer;
let admin: S3Client;
let counter = 0;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (error: unknown) => error,
  );
}

function destination(extra: Partial<S3DestinationOptions> = {}) {
  counter += 1;
  return createS3Destination({
    bucket: BUCKET,
    prefix: `behaviour-${counter}`,
    endpoint: server.endpoint,
    forcePathStyle: true,
    region: "us-east-1",
    credentials: { accessKeyId: MOTO_ACCESS_KEY, secretAccessKey: MOTO_SECRET_KEY },
    ...extra,
  });
}

beforeAll(async () => {
  server = await startMotoServer();
  admin = adminClient(server.endpoint);
  await createBucket(server.endpoint, BUCKET);
});

afterAll(async () => {
  admin?.destroy();
  await server?.stop();
});

describe("S3Destination against moto", () => {
  it("uploads a large object as a multipart upload, leaves no upload behind, and reads it back", async () => {
    const dest = destination({ multipartThreshold: 5 * 1024 * 1024, partSize: 5 * 1024 * 1024 });
    const data = randomBytes(12 * 1024 * 1024 + 123);
    await dest.save("packs/aa/big", data);
    const head = await admin.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: `behaviour-${counter}/packs/aa/big` }),
    );
    expect(head.ContentLength).toBe(data.length);
    // A multipart object's ETag is "<md5 of part md5s>-<part count>".
    expect(head.ETag).toMatch(/-3"$/);
    const uploads = await admin.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }));
    expect(uploads.Uploads ?? []).toHaveLength(0);
    expect(Buffer.from(await dest.load("packs/aa/big")).equals(data)).toBe(true);
    const middle = await dest.load("packs/aa/big", { offset: 5 * 1024 * 1024 - 10, length: 20 });
    expect(Buffer.from(middle).equals(data.subarray(5 * 1024 * 1024 - 10, 5 * 1024 * 1024 + 10))).toBe(true);
    await dest.close();
  });

  it("refuses an exclusive multipart save over an existing object and keeps the old content", async () => {
    const dest = destination({ multipartThreshold: 5 * 1024 * 1024, partSize: 5 * 1024 * 1024 });
    await dest.save("locks/big", new Uint8Array([1, 2, 3]));
    const error = await dest.save("locks/big", randomBytes(6 * 1024 * 1024), { exclusive: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isDestinationError(error, "DEST_ALREADY_EXISTS")).toBe(true);
    expect([...(await dest.load("locks/big"))]).toEqual([1, 2, 3]);
    const uploads = await admin.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }));
    expect(uploads.Uploads ?? []).toHaveLength(0);
    await dest.close();
  });

  it("an aborted multipart save rejects with the signal's reason and leaves no object or upload", async () => {
    const client = adminClient(server.endpoint);
    const controller = new AbortController();
    const reason = new Error("caller gave up");
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "UploadPartCommand") controller.abort(reason);
        return next(args);
      },
      { step: "initialize", name: "abortOnFirstPart" },
    );
    const dest = destination({ client, multipartThreshold: 5 * 1024 * 1024, partSize: 5 * 1024 * 1024 });
    const error = await dest
      .save("data/aborted", randomBytes(20 * 1024 * 1024), { signal: controller.signal })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBe(reason);
    const missing = await dest.stat("data/aborted").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isDestinationError(missing, "DEST_NOT_FOUND")).toBe(true);
    // lib-storage sends AbortMultipartUpload once its in-flight part returns.
    const deadline = Date.now() + 20_000;
    let open = 1;
    while (open > 0 && Date.now() < deadline) {
      const uploads = await admin.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }));
      open = (uploads.Uploads ?? []).filter((upload) => upload.Key?.endsWith("/data/aborted")).length;
      if (open > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(open).toBe(0);
    const aborted = new AbortController();
    aborted.abort(reason);
    expect(
      await dest.save("data/pre-aborted", new Uint8Array([1]), { signal: aborted.signal }).catch((e) => e),
    ).toBe(reason);
    await dest.close();
    client.destroy();
  });

  it("maps 416 to DEST_RANGE_NOT_SATISFIABLE but still loads an empty object at offset 0", async () => {
    const dest = destination();
    await dest.save("r", new Uint8Array([1, 2, 3, 4]));
    expect([...(await dest.load("r", { offset: 2, length: 100 }))]).toEqual([3, 4]);
    for (const offset of [4, 5]) {
      const error = await dest.load("r", { offset }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isDestinationError(error, "DEST_RANGE_NOT_SATISFIABLE"), `offset ${offset}`).toBe(true);
    }
    await dest.save("empty", new Uint8Array(0));
    // S3 answers 416 for bytes=0-9 of an empty object; the contract says offset 0 always works.
    expect([...(await dest.load("empty", { offset: 0, length: 10 }))]).toEqual([]);
    await dest.close();
  });

  it("keeps every key under its prefix and writes the configured storage class", async () => {
    const dest = destination({ storageClass: "STANDARD_IA" });
    await dest.save("index/one", new Uint8Array([9]));
    const key = `behaviour-${counter}/index/one`;
    const listed = await admin.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `behaviour-${counter}/` }),
    );
    expect((listed.Contents ?? []).map((entry) => entry.Key)).toEqual([key]);
    const head = await admin.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.StorageClass).toBe("STANDARD_IA");
    await dest.close();
  });

  it("an exclusive save whose first answer was lost succeeds when the retry meets its own bytes", async () => {
    // Between the retry loop and the wire: the first PUT reaches the server, then the caller
    // sees a connection reset instead of the answer, as after a dropped connection.
    const lose = (client: S3Client, send: boolean) => {
      let first = true;
      client.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName !== "PutObjectCommand" || !first) return next(args);
          first = false;
          if (send) await next(args);
          throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
        },
        { step: "deserialize", name: "loseFirstAnswer" },
      );
    };
    const retrying = () =>
      new S3Client({
        endpoint: server.endpoint,
        region: "us-east-1",
        forcePathStyle: true,
        credentials: { accessKeyId: MOTO_ACCESS_KEY, secretAccessKey: MOTO_SECRET_KEY },
        maxAttempts: 3,
      });
    const mine = retrying();
    lose(mine, true);
    const dest = destination({ client: mine });
    const lock = new TextEncoder().encode(`lock ${Date.now()} ${Math.random()}`);
    await dest.save("locks/exclusive", lock, { exclusive: true });
    expect(Buffer.from(await dest.load("locks/exclusive")).equals(lock)).toBe(true);
    await dest.close();

    // Same path, but the name really belongs to someone else: still DEST_ALREADY_EXISTS.
    const other = retrying();
    lose(other, false);
    const rival = destination({ client: other, prefix: `behaviour-${counter}` });
    const error = await rival.save("locks/exclusive", new Uint8Array([7]), { exclusive: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isDestinationError(error, "DEST_ALREADY_EXISTS")).toBe(true);
    expect(Buffer.from(await rival.load("locks/exclusive")).equals(lock)).toBe(true);
    await rival.close();
    mine.destroy();
    other.destroy();
  });

  it("probes whether the server honours If-None-Match, and notices a server that ignores it", async () => {
    const dest = destination();
    expect(await dest.probeConditionalWrites()).toBe(true);
    await dest.close();
    // A server (or proxy) that drops the header is what the probe exists to catch.
    const client = adminClient(server.endpoint);
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers?: Record<string, string> };
        if (request.headers) delete request.headers["if-none-match"];
        return next(args);
      },
      { step: "build", name: "dropIfNoneMatch" },
    );
    const careless = destination({ client });
    expect(await careless.probeConditionalWrites()).toBe(false);
    const listed = await admin.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `behaviour-${counter}/` }),
    );
    expect(listed.Contents ?? []).toHaveLength(0);
    await careless.close();
    client.destroy();
  });

  it("falls back to check-then-put for exclusive saves when told to", async () => {
    const dest = destination({ exclusiveCreate: "check-then-put" });
    await dest.save("lock", new Uint8Array([1]), { exclusive: true });
    const error = await dest.save("lock", new Uint8Array([2]), { exclusive: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isDestinationError(error, "DEST_ALREADY_EXISTS")).toBe(true);
    expect([...(await dest.load("lock"))]).toEqual([1]);
    await dest.close();
  });

  it("pages through several ListObjectsV2 pages", async () => {
    const client = adminClient(server.endpoint);
    let listCalls = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "ListObjectsV2Command") listCalls += 1;
        return next(args);
      },
      { step: "initialize", name: "countListCalls" },
    );
    const dest = destination({ listPageSize: 100, client });
    const names = Array.from({ length: 250 }, (_, i) => `snap/${String(i).padStart(5, "0")}`);
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(names.slice(i, i + 50).map((name) => dest.save(name, new Uint8Array([1]))));
    }
    const seen: string[] = [];
    for await (const info of dest.list("snap/")) seen.push(info.name);
    expect(seen.sort()).toEqual(names);
    expect(listCalls).toBe(3);
    await dest.close();
    client.destroy();
  });
});

describe("Object Lock", () => {
  it("writes objects under retention, and the server refuses to delete the locked version", async () => {
    {
      await createBucket(server.endpoint, "immutable", true);
      // The destination runs on a client of ours so the test can see the headers it sends.
      const client = adminClient(server.endpoint);
      const sent: { command: string; headers: Record<string, string> }[] = [];
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const request = args.request as { headers?: Record<string, string> };
          sent.push({ command: String(context.commandName), headers: { ...request.headers } });
          return next(args);
        },
        { step: "finalizeRequest", name: "recordHeaders" },
      );
      const dest = createS3Destination({
        bucket: "immutable",
        prefix: "repo",
        client,
        objectLock: { mode: "COMPLIANCE", retentionDays: 1 },
        multipartThreshold: 5 * MIB,
        partSize: 5 * MIB,
      });
      const small = randomBytes(100);
      const large = randomBytes(6 * MIB);
      await dest.save("snapshots/s1", small);
      await dest.save("data/p1", large);

      // Single PUT: the server stored the retention and refuses to delete that version.
      const head = await admin.send(new HeadObjectCommand({ Bucket: "immutable", Key: "repo/snapshots/s1" }));
      expect(head.ObjectLockMode).toBe("COMPLIANCE");
      const until = head.ObjectLockRetainUntilDate?.getTime() ?? 0;
      expect(Math.abs(until - (Date.now() + 86_400_000))).toBeLessThan(10 * 60_000);
      expect(head.VersionId).toBeTruthy();
      const refused = await rejection(
        admin.send(
          new DeleteObjectCommand({
            Bucket: "immutable",
            Key: "repo/snapshots/s1",
            VersionId: head.VersionId,
          }),
        ),
      );
      expect(toDestinationError(refused, "delete", "repo/snapshots/s1").code).toBe("DEST_PERMISSION");

      // Multipart: moto ignores lock headers on CreateMultipartUpload (AWS applies them), so
      // here only the request is checked: retention and a checksum algorithm went with it.
      const create = sent.find((entry) => entry.command === "CreateMultipartUploadCommand");
      expect(create?.headers["x-amz-object-lock-mode"]).toBe("COMPLIANCE");
      expect(create?.headers["x-amz-object-lock-retain-until-date"]).toBeTruthy();
      expect(create?.headers["x-amz-checksum-algorithm"]).toBe("CRC32");
      const parts = sent.filter((entry) => entry.command === "UploadPartCommand");
      expect(parts).toHaveLength(2);
      for (const part of parts) expect(part.headers["x-amz-checksum-crc32"]).toBeTruthy();
      const put = sent.find((entry) => entry.command === "PutObjectCommand");
      expect(put?.headers["x-amz-object-lock-mode"]).toBe("COMPLIANCE");
      expect(put?.headers["x-amz-checksum-crc32"]).toBeTruthy();

      // remove() on a versioned bucket only adds a delete marker: the name is gone for the
      // repository, the locked bytes stay recoverable until the retention ends.
      await dest.remove("snapshots/s1");
      expect(isDestinationError(await rejection(dest.stat("snapshots/s1")), "DEST_NOT_FOUND")).toBe(true);
      const versions = await admin.send(
        new ListObjectVersionsCommand({ Bucket: "immutable", Prefix: "repo/snapshots/s1" }),
      );
      const kept = versions.Versions?.[0]?.VersionId;
      expect(kept).toBeTruthy();
      const recovered = await admin.send(
        new GetObjectCommand({ Bucket: "immutable", Key: "repo/snapshots/s1", VersionId: kept }),
      );
      expect(Buffer.from(await recovered.Body!.transformToByteArray()).equals(small)).toBe(true);
      await dest.close();
      client.destroy();

      // Without a checksum S3 rejects retention headers; the destination always sends one.
      const bare = new S3Client({
        endpoint: server.endpoint,
        region: "us-east-1",
        forcePathStyle: true,
        credentials: { accessKeyId: MOTO_ACCESS_KEY, secretAccessKey: MOTO_SECRET_KEY },
        requestChecksumCalculation: "WHEN_REQUIRED",
        maxAttempts: 1,
      });
      const withoutChecksum = await rejection(
        bare.send(
          new PutObjectCommand({
            Bucket: "immutable",
            Key: "repo/raw",
            Body: small,
            ObjectLockMode: "COMPLIANCE",
            ObjectLockRetainUntilDate: new Date(Date.now() + 86_400_000),
          }),
        ),
      );
      expect(withoutChecksum).toBeInstanceOf(Error);
      bare.destroy();
    }
  });

  it("rejects bad Object Lock options as programmer mistakes", () => {
    const base = { bucket: "b", endpoint: "http://127.0.0.1:9" };
    expect(() =>
      createS3Destination({ ...base, objectLock: { mode: "FOREVER" as "COMPLIANCE", retentionDays: 1 } }),
    ).toThrow(TypeError);
    expect(() =>
      createS3Destination({ ...base, objectLock: { mode: "GOVERNANCE", retentionDays: 0 } }),
    ).toThrow(TypeError);
  });
});
