// One engine test's storage: a fresh repository on a memory destination (with a fast KDF) and
// an empty directory for the mailbox indexes. Tests that back up and restore start from it
// instead of repeating the setup; close() closes the repository and removes the directory.
import { initRepository, type Repository } from "@ewsvault/core";
import { createMemoryDestination } from "@ewsvault/destination";
import { MemoryExchange } from "@ewsvault/mailbox/testing";
import { tempDir } from "@ewsvault/testkit";
import { afterEach, beforeEach } from "vitest";

export interface EngineFixture {
  readonly repository: Repository;
  readonly indexDirectory: string;
  close(): Promise<void>;
}

/** `workers` as in OpenRepositoryOptions (0: compress and encrypt on the test's own thread). */
export async function createEngineFixture(options: { workers?: number } = {}): Promise<EngineFixture> {
  const repository = await initRepository({
    destination: createMemoryDestination(),
    password: "correct horse",
    kdf: { N: 1024, r: 8, p: 1 },
    ...(options.workers === undefined ? {} : { workers: options.workers }),
  });
  const dir = await tempDir();
  return {
    repository,
    indexDirectory: dir.path,
    close: async () => {
      await repository.close();
      await dir.cleanup();
    },
  };
}

/** The index directory as tests that keep it in a variable hold it. */
export interface WorkDirectory {
  readonly path: string;
  cleanup(): Promise<void>;
}

/** createEngineFixture for tests that keep `repository` and `work` in variables of their own. */
export async function engineStorage(
  options: { workers?: number } = {},
): Promise<{ repository: Repository; work: WorkDirectory }> {
  const fixture = await createEngineFixture(options);
  return {
    repository: fixture.repository,
    work: { path: fixture.indexDirectory, cleanup: fixture.close },
  };
}

/** What each test of a file using useEngineTest sees: fresh for every test. */
export interface EngineTest {
  readonly exchange: MemoryExchange;
  readonly repository: Repository;
  readonly work: WorkDirectory;
}

/**
 * Registers a beforeEach that gives every test a MemoryExchange set up by `seed` and fresh
 * storage (engineStorage), and an afterEach that removes them. Read the fields in tests only.
 */
export function useEngineTest(
  seed: (exchange: MemoryExchange) => void,
  options: { workers?: number } = {},
): EngineTest {
  let current: EngineTest | undefined;
  beforeEach(async () => {
    const exchange = new MemoryExchange();
    seed(exchange);
    current = { exchange, ...(await engineStorage(options)) };
  });
  afterEach(async () => {
    await current?.work.cleanup();
    current = undefined;
  });
  const now = (): EngineTest => {
    if (current === undefined) throw new Error("useEngineTest: read only inside a test");
    return current;
  };
  return {
    get exchange() {
      return now().exchange;
    },
    get repository() {
      return now().repository;
    },
    get work() {
      return now().work;
    },
  };
}
