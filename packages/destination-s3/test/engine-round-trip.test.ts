// The whole product through S3 (engineRoundTrip from @ewsvault/engine-testkit): two mock-ews
// mailboxes backed up over HTTP into a repository on a real S3-compatible server (moto on
// loopback), one restored into another mailbox, every byte verified.
import { engineRoundTrip } from "@ewsvault/engine-testkit";
import { afterAll, beforeAll, it } from "vitest";
import { createS3Destination } from "../src/index.js";
import {
  createBucket,
  MOTO_ACCESS_KEY,
  MOTO_SECRET_KEY,
  type MotoServer,
  startMotoServer,
} from "./support/moto-server.js";

let moto: MotoServer;

beforeAll(async () => {
  moto = await startMotoServer();
  await createBucket(moto.endpoint, "engine");
});

afterAll(async () => {
  await moto?.stop();
});

it("backs up two mailboxes into S3 and restores one into another mailbox", { timeout: 180_000 }, async () => {
  const destination = createS3Destination({
    bucket: "engine",
    prefix: "repo",
    endpoint: moto.endpoint,
    forcePathStyle: true,
    region: "us-east-1",
    credentials: { accessKeyId: MOTO_ACCESS_KEY, secretAccessKey: MOTO_SECRET_KEY },
  });
  await engineRoundTrip(destination, { seed: 41, label: "S3" });
});
