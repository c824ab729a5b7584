// One engine test's storage: a fresh repository on a memory destination (with a fast KDF) and
// an empty directory for the mailbox indexes. Tests that back up and restore start from it
// instead of repeating the setup; close() closes the repository and removes the directory.
import { initRepository, type Repository } from "@ewsvault/core";
import { createMemoryDestination } from "@ewsvault/destination";
import { tempDir } from "@ewsvault/testkit";

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
