// For tests that run workers in the test process: filesystem repositories created and opened
// under the test's directory (all closed at the end), and polling for an event.
import { join } from "node:path";
import { initRepository, openRepository, type Repository } from "@ewsvault/core";
import { createFsDestination } from "@ewsvault/destination-fs";

export class TestRepositories {
  private readonly opened: Repository[] = [];

  constructor(
    private readonly directory: string,
    readonly password: string,
  ) {}

  /** A new repository in <directory>/<name> (a cheap KDF); returns its root. */
  async create(name: string): Promise<string> {
    const root = join(this.directory, name);
    const repository = await initRepository({
      destination: createFsDestination({ root }),
      password: this.password,
      kdf: { N: 1024, r: 8, p: 1 },
    });
    await repository.close();
    return root;
  }

  /** Opens the repository at root; closed by closeAll(). */
  async open(root: string): Promise<Repository> {
    const repository = await openRepository({
      destination: createFsDestination({ root }),
      password: this.password,
    });
    this.opened.push(repository);
    return repository;
  }

  async closeAll(): Promise<void> {
    for (const repository of this.opened.splice(0)) await repository.close().catch(() => {});
  }
}

/** Polls `find` every 50 ms until it returns something; rejects after timeoutMs. */
export async function until<T>(find: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`nothing matched within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
