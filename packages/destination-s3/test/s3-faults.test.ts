// Failure behaviour against a real server: the server dying mid-upload and credentials the
// server rejects. Each case starts its own moto process because each needs it configured
// differently (journalled; checking signatures). Object Lock lives in s3-destination.test.ts.
import { randomBytes } from "node:crypto";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { inspect } from "node:util";
import { ListMultipartUploadsCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { type DestinationError, isDestinationError } from "@ewsvault/destination";
import { tempDir } from "@ewsvault/testkit";
import { describe, expect, it } from "vitest";
import { createS3Destination } from "../src/index.js";
import {
  adminClient,
  createBucket,
  MOTO_ACCESS_KEY,
  MOTO_SECRET_KEY,
  startMotoServer,
} from "./support/moto-server.js";

const MIB = 1024 * 1024;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (error: unknown) => error,
  );
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A poll that reads only what was appended to `path` since the last call, looking for `needle`. */
function journalMentions(path: string, needle: string): () => Promise<boolean> {
  let offset = 0;
  return async () => {
    const file = await open(path, "r").catch(() => undefined);
    if (file === undefined) return false;
    try {
      const { size } = await file.stat();
      if (size <= offset) return false;
      const start = Math.max(0, offset - needle.length);
      const chunk = Buffer.alloc(size - start);
      await file.read(chunk, 0, chunk.length, start);
      offset = size;
      return chunk.includes(needle);
    } finally {
      await file.close();
    }
  };
}

describe("server killed during a multipart upload", () => {
  it("fails with DEST_TRANSIENT, shows no partial object after restart, and the retry succeeds", async () => {
    const dir = await tempDir("ewsvault-s3-crash-");
    const journal = join(dir.path, "moto-journal.jsonl");
    let server = await startMotoServer({ journal });
    const port = server.port;
    try {
      await createBucket(server.endpoint, "crash");
      const dest = createS3Destination({
        bucket: "crash",
        prefix: "repo",
        endpoint: server.endpoint,
        forcePathStyle: true,
        region: "us-east-1",
        credentials: { accessKeyId: MOTO_ACCESS_KEY, secretAccessKey: MOTO_SECRET_KEY },
        multipartThreshold: 5 * MIB,
        partSize: 5 * MIB,
        partConcurrency: 1,
        maxAttempts: 2,
        connectionTimeoutMs: 2_000,
        requestTimeoutMs: 10_000,
      });
      const before = randomBytes(1000);
      await dest.save("keys/before-crash", before);

      const pack = randomBytes(20 * MIB);
      const saving = dest.save("data/pack-1", pack);
      saving.catch(() => {});
      // The journal gets a line as each request reaches the server: kill it while part 2 of 4
      // is being handled, so part 1 is stored and parts 3-4 and the completion are not sent.
      await waitFor(journalMentions(journal, "partNumber=2"), 30_000);
      const killedAt = Date.now();
      await server.kill();

      const error = await rejection(saving);
      const failedAfterMs = Date.now() - killedAt;
      expect(isDestinationError(error, "DEST_TRANSIENT")).toBe(true);
      expect((error as DestinationError).transient).toBe(true);
      expect(failedAfterMs).toBeLessThan(15_000);

      server = await startMotoServer({ port, journal });
      const admin = adminClient(server.endpoint);
      try {
        // The restarted server has the state of the old one: the earlier object is there ...
        expect(Buffer.from(await dest.load("keys/before-crash")).equals(before)).toBe(true);
        // ... and the interrupted pack is not, by any route.
        expect(isDestinationError(await rejection(dest.stat("data/pack-1")), "DEST_NOT_FOUND")).toBe(true);
        expect(isDestinationError(await rejection(dest.load("data/pack-1")), "DEST_NOT_FOUND")).toBe(true);
        const listed = await admin.send(new ListObjectsV2Command({ Bucket: "crash" }));
        expect((listed.Contents ?? []).map((entry) => entry.Key)).toEqual(["repo/keys/before-crash"]);
        // AbortMultipartUpload could not reach a dead server: the incomplete upload stays
        // (invisible, but billed) until a lifecycle rule or abortIncompleteUploads() removes it.
        const orphans = await admin.send(new ListMultipartUploadsCommand({ Bucket: "crash" }));
        expect((orphans.Uploads ?? []).map((upload) => upload.Key)).toEqual(["repo/data/pack-1"]);
        expect(await dest.abortIncompleteUploads({ olderThanMs: 0 })).toBe(1);
        const left = await admin.send(new ListMultipartUploadsCommand({ Bucket: "crash" }));
        expect(left.Uploads ?? []).toHaveLength(0);
        console.info(
          `s3 crash test: DEST_TRANSIENT ${failedAfterMs} ms after the kill; 1 incomplete upload aborted`,
        );

        // The same call on the same destination succeeds once the server is back.
        await dest.save("data/pack-1", pack);
        expect(Buffer.from(await dest.load("data/pack-1")).equals(pack)).toBe(true);
        const tail = await dest.load("data/pack-1", { offset: 20 * MIB - 7 });
        expect(Buffer.from(tail).equals(pack.subarray(20 * MIB - 7))).toBe(true);
      } finally {
        admin.destroy();
        await dest.close();
      }
    } finally {
      await server.stop();
      await dir.cleanup();
    }
  });
});

/** Moto's IAM query API; these calls fall inside the server's unauthenticated allowance. */
async function iam(endpoint: string, params: Record<string, string>): Promise<string> {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIAEWSVAULTSETUP000/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0",
    },
    body: new URLSearchParams({ ...params, Version: "2010-05-08" }).toString(),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`IAM ${params.Action} failed: HTTP ${response.status}`);
  return text;
}

function xmlValue(xml: string, tag: string): string {
  const match = new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(xml);
  if (match?.[1] === undefined) throw new Error(`no <${tag}> in IAM answer`);
  return match[1];
}

describe("credentials the server rejects", () => {
  it("maps unknown keys, wrong secrets and missing permissions to DEST_PERMISSION with a one-line message", async () => {
    // Six set-up calls run unauthenticated; after that moto checks every SigV4 signature
    // against its IAM users and evaluates their policies.
    const server = await startMotoServer({ unauthenticatedRequests: 6 });
    try {
      await createBucket(server.endpoint, "guarded");
      await iam(server.endpoint, { Action: "CreateUser", UserName: "writer" });
      const writerKey = await iam(server.endpoint, { Action: "CreateAccessKey", UserName: "writer" });
      await iam(server.endpoint, {
        Action: "PutUserPolicy",
        UserName: "writer",
        PolicyName: "s3-all",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }],
        }),
      });
      await iam(server.endpoint, { Action: "CreateUser", UserName: "nobody" });
      const nobodyKey = await iam(server.endpoint, { Action: "CreateAccessKey", UserName: "nobody" });
      const writer = {
        accessKeyId: xmlValue(writerKey, "AccessKeyId"),
        secretAccessKey: xmlValue(writerKey, "SecretAccessKey"),
      };
      const nobody = {
        accessKeyId: xmlValue(nobodyKey, "AccessKeyId"),
        secretAccessKey: xmlValue(nobodyKey, "SecretAccessKey"),
      };
      const make = (credentials: { accessKeyId: string; secretAccessKey: string }) =>
        createS3Destination({
          bucket: "guarded",
          endpoint: server.endpoint,
          forcePathStyle: true,
          region: "us-east-1",
          credentials,
          maxAttempts: 1,
        });

      // The right credentials work, so the failures below are about the credentials alone.
      const good = make(writer);
      await good.save("config", new Uint8Array([1, 2, 3]));
      expect([...(await good.load("config"))]).toEqual([1, 2, 3]);
      await good.close();

      const cases = [
        {
          label: "unknown access key",
          credentials: { accessKeyId: "AKIAEWSVAULTNOSUCHKEY", secretAccessKey: "x".repeat(40) },
          serverCode: "InvalidAccessKeyId",
        },
        {
          label: "wrong secret",
          credentials: { accessKeyId: writer.accessKeyId, secretAccessKey: "wrong-secret-".padEnd(40, "z") },
          serverCode: "SignatureDoesNotMatch",
        },
        { label: "no permission", credentials: nobody, serverCode: "AccessDenied" },
      ];
      for (const { label, credentials, serverCode } of cases) {
        const dest = make(credentials);
        for (const call of [
          () => dest.save("config", new Uint8Array([9])),
          () => dest.load("config"),
          async () => {
            for await (const _ of dest.list()) {
              // draining: the first page request is what fails
            }
          },
        ]) {
          const error = await rejection(call());
          expect(isDestinationError(error, "DEST_PERMISSION"), label).toBe(true);
          const message = (error as Error).message;
          expect(message, label).not.toMatch(/\n/);
          expect(message, label).not.toContain(credentials.secretAccessKey);
          expect(message, label).not.toContain(credentials.accessKeyId);
          expect(String((error as Error).stack), label).not.toContain(credentials.secretAccessKey);
          // Not even deep inside the cause chain, as a logger printing the whole error would show it.
          expect(inspect(error, { depth: 12, showHidden: true }), label).not.toContain(
            credentials.secretAccessKey,
          );
        }
        // The save attempt shows the server's own code, so the mapping is exercised for each.
        const error = await rejection(dest.save("config", new Uint8Array([9])));
        expect((error as Error).message, label).toContain(serverCode);
        expect(dest.description).not.toContain(credentials.accessKeyId);
        await dest.close();
      }
    } finally {
      await server.stop();
    }
  });
});
