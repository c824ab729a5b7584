// Keeps the server's memory flat while it regenerates large amounts of item content. Each
// regenerated item is garbage as soon as its response is written, but V8 grows its heap
// rather than collect when allocation is fast, so a mailbox walk would end hundreds of MiB
// above what the server holds. After a response that regenerated a lot of content, a full
// collection (V8's own gc, reached through a fresh context once --expose-gc is set) runs off
// the request path.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let collect: (() => void) | undefined | null;

function collector(): (() => void) | undefined {
  if (collect === undefined) {
    try {
      setFlagsFromString("--expose-gc");
      const gc: unknown = runInNewContext("gc");
      collect = typeof gc === "function" ? (gc as () => void) : null;
    } catch {
      collect = null;
    }
  }
  return collect ?? undefined;
}

/** Schedules a full collection after the current I/O (no-op where the runtime refuses). */
export function collectSoon(): void {
  const gc = collector();
  if (gc !== undefined) setImmediate(gc);
}
