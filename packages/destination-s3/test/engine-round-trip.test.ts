// The whole product through S3: the engine backs up two mock-ews mailboxes over HTTP into a
// repository on a real S3-compatible server (moto on loopback), restores one into another
// mailbox, and the repository verifies with every byte read back.
import { backup, initRepository, restore } from "@ewsvault/core";
import { createEwsClient } from "@ewsvault/ews";
import { startMockEwsServer } from "@ewsvault/mock-ews";
import { tempDir } from "@ewsvault/testkit";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createS3Destination } from "../src/index.js";
import {
  MOTO_ACCESS_KEY,
  MOTO_SECRET_KEY,
  type MotoServer,
  createBucket,
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
  const server = await startMockEwsServer({ seed: 41, mailboxes: 3, itemsPerMailbox: 15 });
  const ews = createEwsClient({ url: server.url, auth: { kind: "basic", ...server.credentials } });
  const index = await tempDir();
  const destination = createS3Destination({
    bucket: "engine",
    prefix: "repo",
    endpoint: moto.endpoint,
    forcePathStyle: true,
    region: "us-east-1",
    credentials: { accessKeyId: MOTO_ACCESS_KEY, secretAccessKey: MOTO_SECRET_KEY },
  });
  const repository = await initRepository({
    destination,
    password: "s3 engine test",
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
      intoFolder: "From S3",
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
