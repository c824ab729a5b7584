// Several writers in one process (one per mailbox) checkpoint while another starts: a writer's
// start reloads the pack index from the destination. A pack index file written while that
// listing was under way must stay in the index: its blobs are already counted as stored.
import { createMemoryDestination, type Destination, type ObjectInfo } from "@ewsvault/destination";
import { describe, expect, it } from "vitest";
import { digest, newRepository, SMALL_CHUNKS, seededBytes } from "./helpers.js";

/**
 * A destination whose next listing of index files after `hold()` takes its names, then waits for
 * `release()`; `listing` resolves once it is held.
 */
function slowIndexListing(inner: Destination): {
  destination: Destination;
  listing: Promise<void>;
  hold(): void;
  release(): void;
} {
  let armed = false;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let listed!: () => void;
  const listing = new Promise<void>((resolve) => {
    listed = resolve;
  });
  const destination = new Proxy(inner, {
    get(target, property) {
      if (property !== "list") {
        // Bound to the destination itself: its methods use private fields.
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      }
      return async function* list(prefix?: string): AsyncIterable<ObjectInfo> {
        const names: ObjectInfo[] = [];
        for await (const info of target.list(prefix)) names.push(info);
        if (armed && prefix?.startsWith("index")) {
          armed = false;
          listed();
          await gate;
        }
        yield* names;
      };
    },
  });
  return {
    destination,
    listing,
    hold: () => {
      armed = true;
    },
    release,
  };
}

describe("pack index reload during another writer's checkpoint", () => {
  it("keeps the index file the checkpoint wrote while the listing was under way", async () => {
    const slow = slowIndexListing(createMemoryDestination());
    const { repo } = await newRepository({
      destination: slow.destination,
      packSize: 8 * 1024,
      chunkerParams: SMALL_CHUNKS,
    });
    const first = await repo.startWriter({ checkpointSeconds: 0 });
    const bytes = seededBytes(7, 40_000);
    const saved = await first.saveData(bytes);

    // A second writer starts: its reload lists the index files (none yet) and is held there.
    slow.hold();
    const secondStarting = repo.startWriter({ checkpointSeconds: 0 });
    await slow.listing;
    // Meanwhile the first writer makes its blobs durable: a new index file, added to the index.
    await first.checkpoint();
    slow.release();
    const second = await secondStarting;

    // The reload must not have dropped that file: the data reads back and a tree may refer to it.
    expect(digest(await repo.loadData(saved.blobIds))).toBe(digest(bytes));
    const tree = await second.saveTree({ items: [{ content: saved.blobIds }] });
    await second.checkpoint();
    await expect(
      repo.saveSnapshot({ mailbox: "a@example.com", time: new Date(), tree }),
    ).resolves.toBeDefined();
    await first.close();
    await second.close();
    await repo.close();
  });
});
