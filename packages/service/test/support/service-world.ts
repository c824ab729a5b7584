// What every multi-process service test starts from: a real redis-server, the mock EWS server,
// an EWS client to read mailboxes back, and a temporary directory for repositories and index
// directories. One place starts them and stops them in reverse order, also when a later one
// fails to start.
import { createEwsClient, type EwsClient } from "@ewsvault/ews";
import { type MockEwsServer, type MockEwsServerOptions, startMockEwsServer } from "@ewsvault/mock-ews";
import {
  type RedisTestServer,
  type RedisTestServerOptions,
  startRedisServer,
  tempDir,
} from "@ewsvault/testkit";

export interface ServiceWorld {
  readonly redis: RedisTestServer;
  readonly server: MockEwsServer;
  readonly client: EwsClient;
  readonly work: { readonly path: string; cleanup(): Promise<void> };
  /** Closes the client and stops the mock, Redis, then removes the directory. */
  stop(): Promise<void>;
}

export async function startServiceWorld(options: {
  readonly redis?: RedisTestServerOptions;
  readonly mock: MockEwsServerOptions;
  /** Prefix of the temporary directory's name. */
  readonly tempPrefix: string;
}): Promise<ServiceWorld> {
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const step of stops.splice(0).reverse()) await step();
  };
  try {
    const work = await tempDir(options.tempPrefix);
    stops.push(() => work.cleanup());
    const redis = await startRedisServer(options.redis);
    stops.push(() => redis.stop());
    const server = await startMockEwsServer(options.mock);
    stops.push(() => server.stop());
    const client = createEwsClient({
      url: server.url,
      auth: { kind: "basic", ...server.credentials },
      allowInsecureAuth: true, // the mock speaks plain http on loopback
    });
    stops.push(() => client.close());
    return { redis, server, client, work, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
