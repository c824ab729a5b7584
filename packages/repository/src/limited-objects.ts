// The destination as the repository's data layers see it: loads, saves and removes of packs,
// pack index files, snapshots and forget records share one limit of concurrent calls (the
// destination's maxConnections), so many writers and readers of one repository never open more
// connections than the destination allows. Listing is not limited (one call at a time per
// listing, and it must not wait behind uploads). Lock objects do not go through here at all:
// a lock refresh queued behind pack uploads could let the lock go stale (lock-manager.ts).

import type { Destination } from "@ewsvault/destination";
import pLimit from "p-limit";

/** The destination calls the repository's data layers make; each layer picks what it needs. */
export type RepositoryObjects = Pick<Destination, "list" | "load" | "save" | "remove">;

export function limitedObjects(destination: Destination): RepositoryObjects {
  const limit = pLimit(Math.max(1, destination.capabilities.maxConnections));
  return {
    list: (prefix) => destination.list(prefix),
    load: (name, options) => limit(() => destination.load(name, options)),
    save: (name, data, options) => limit(() => destination.save(name, data, options)),
    remove: (name) => limit(() => destination.remove(name)),
  };
}
