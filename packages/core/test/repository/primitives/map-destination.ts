// A tiny Map-backed Destination for these tests, so they do not depend on another package's
// test helpers. It records every save/remove so tests can prove that nothing was written.

import type { Destination, ObjectInfo } from "@ewsvault/destination";
import { DestinationError } from "@ewsvault/destination";

export interface RecordingDestination extends Destination {
  readonly objects: Map<string, Uint8Array>;
  readonly writes: string[];
}

export function createMapDestination(): RecordingDestination {
  const objects = new Map<string, Uint8Array>();
  const writes: string[] = [];
  return {
    description: "map (test)",
    capabilities: {
      maxConnections: 8,
      atomicReplace: true,
      rangedReads: true,
      listAfterWriteConsistent: true,
    },
    objects,
    writes,
    async save(name, data, options) {
      if (options?.exclusive && objects.has(name)) throw new DestinationError("DEST_ALREADY_EXISTS", name);
      writes.push(`save ${name}`);
      objects.set(name, Uint8Array.from(data));
    },
    async load(name, options) {
      const data = objects.get(name);
      if (data === undefined) throw new DestinationError("DEST_NOT_FOUND", name);
      const offset = options?.offset ?? 0;
      const end = options?.length === undefined ? data.length : offset + options.length;
      return data.slice(offset, end);
    },
    async stat(name): Promise<ObjectInfo> {
      const data = objects.get(name);
      if (data === undefined) throw new DestinationError("DEST_NOT_FOUND", name);
      return { name, size: data.length };
    },
    async *list(prefix = "") {
      for (const [name, data] of [...objects]) if (name.startsWith(prefix)) yield { name, size: data.length };
    },
    async remove(name) {
      writes.push(`remove ${name}`);
      objects.delete(name);
    },
    async close() {},
  };
}
