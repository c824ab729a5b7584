// The shared destination conformance suite against a real S3-compatible server: moto on
// loopback (always), and a real endpoint too when EWSVAULT_S3_TEST_ENDPOINT, _BUCKET,
// _ACCESS_KEY and _SECRET_KEY are set. Each create() gets a fresh key prefix in one bucket.
import { randomUUID } from "node:crypto";
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { describeDestinationConformance } from "@ewsvault/destination/testing";
import { afterAll, beforeAll } from "vitest";
import { createS3Destination } from "../src/index.js";
import {
  createBucket,
  MOTO_ACCESS_KEY,
  MOTO_SECRET_KEY,
  type MotoServer,
  startMotoServer,
} from "./support/moto-server.js";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy.js";

const BUCKET = "ewsvault-conformance";
let server: MotoServer;
let proxy: TcpProxy;
let created = 0;

beforeAll(async () => {
  server = await startMotoServer();
  await createBucket(server.endpoint, BUCKET);
  proxy = await startTcpProxy(server.port);
});

afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});

describeDestinationConformance(
  "s3 (moto server on loopback)",
  () => ({
    async create() {
      created += 1;
      return createS3Destination({
        bucket: BUCKET,
        prefix: `conformance-${created}`,
        // Through the relay, so the fault case can cut the network without losing the server's state.
        endpoint: `http://127.0.0.1:${proxy.port}`,
        forcePathStyle: true,
        region: "us-east-1",
        credentials: { accessKeyId: MOTO_ACCESS_KEY, secretAccessKey: MOTO_SECRET_KEY },
        // Exercise multipart uploads with the suite's 5 MiB "large" objects, and ListObjectsV2
        // paging with its many-objects case (moto manages ~100-300 PUTs/s, so 600 objects in
        // 250-key pages keep the run short while still crossing page boundaries).
        multipartThreshold: 4 * 1024 * 1024,
        listPageSize: 250,
        partSize: 5 * 1024 * 1024,
        // Few attempts keep the interrupted-network case short; not 2: moto (Werkzeug) sometimes
        // answers HTTP 500 to one of 16 concurrent PUTs of one key on a loaded machine, twice in a
        // row (seen in CI on 2026-11-22), and transient 500s are what the SDK's retries are for.
        maxAttempts: 4,
        connectionTimeoutMs: 2_000,
      });
    },
    faults: {
      async interrupt() {
        await proxy.cut();
        return () => proxy.restore();
      },
    },
  }),
  { faults: true, manyObjects: 600 },
);

const real = {
  endpoint: process.env.EWSVAULT_S3_TEST_ENDPOINT,
  bucket: process.env.EWSVAULT_S3_TEST_BUCKET,
  accessKeyId: process.env.EWSVAULT_S3_TEST_ACCESS_KEY,
  secretAccessKey: process.env.EWSVAULT_S3_TEST_SECRET_KEY,
  region: process.env.EWSVAULT_S3_TEST_REGION ?? "us-east-1",
  pathStyle: process.env.EWSVAULT_S3_TEST_PATH_STYLE !== "false",
};

if (real.endpoint && real.bucket && real.accessKeyId && real.secretAccessKey) {
  const { endpoint, bucket, accessKeyId, secretAccessKey, region, pathStyle } = real;
  const runPrefix = `ewsvault-conformance-${randomUUID()}`;
  let n = 0;
  describeDestinationConformance(`s3 (${new URL(endpoint).host})`, {
    async create() {
      n += 1;
      return createS3Destination({
        bucket,
        prefix: `${runPrefix}/${n}`,
        endpoint,
        forcePathStyle: pathStyle,
        region,
        credentials: { accessKeyId, secretAccessKey },
      });
    },
    async cleanup() {
      // Leave the bucket as it was: delete everything this run wrote.
      const client = new S3Client({
        endpoint,
        region,
        forcePathStyle: pathStyle,
        credentials: { accessKeyId, secretAccessKey },
      });
      try {
        let token: string | undefined;
        do {
          const page = await client.send(
            new ListObjectsV2Command({ Bucket: bucket, Prefix: `${runPrefix}/`, ContinuationToken: token }),
          );
          const keys = (page.Contents ?? []).flatMap((entry) => (entry.Key ? [{ Key: entry.Key }] : []));
          if (keys.length > 0)
            await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
      } finally {
        client.destroy();
      }
    },
  });
}
