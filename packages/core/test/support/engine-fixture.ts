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
