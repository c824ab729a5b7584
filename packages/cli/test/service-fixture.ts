// What the service command tests start from: a real redis-server, the mock EWS server, a
// temporary directory with an initialised repository, and config files naming all three.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type MockEwsServer, type MockEwsServerOptions, startMockEwsServer } from "@ewsvault/mock-ews";
import { type RedisTestServer, startRedisServer, tempDir } from "@ewsvault/testkit";
import { Redis } from "ioredis";
import { expect } from "vitest";
import { cli } from "./helpers.js";

export interface ServiceFixture {
  readonly redis: RedisTestServer;
  readonly server: MockEwsServer;
  readonly work: { readonly path: string };
  /** Writes <work>/<name>.json: the repository, a cache directory of its own, the mock, `sets`. */
  configFile(name: string, sets: unknown): Promise<string>;
  /** Redis keys matching the pattern (what a refused command must not have written). */
  keys(pattern: string): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startServiceFixture(
  mock: MockEwsServerOptions,
  env: { EWSVAULT_PASSWORD: string },
  tempPrefix: string,
): Promise<ServiceFixture> {
  const redis = await startRedisServer();
  const server = await startMockEwsServer(mock);
  const work = await tempDir(tempPrefix);
  const init = await cli(["init", "--repo", join(work.path, "repo"), "--json"], env);
  expect(init.code, init.stderr).toBe(0);
  return {
    redis,
    server,
    work,
    async configFile(name, sets) {
      const path = join(work.path, `${name}.json`);
      await writeFile(
        path,
        JSON.stringify({
          repository: join(work.path, "repo"),
          cacheDir: join(work.path, `cache-${name}`),
          // The mock speaks plain http on loopback: Basic there must be allowed explicitly.
          ews: { url: server.url, username: server.credentials.username, allowInsecureBasic: true },
          sets,
        }),
      );
      return path;
    },
    async keys(pattern) {
      const client = new Redis(redis.url);
      try {
        return await client.keys(pattern);
      } finally {
        client.disconnect();
      }
    },
    async stop() {
      await server.stop();
      await redis.stop();
      await work.cleanup();
    },
  };
}
