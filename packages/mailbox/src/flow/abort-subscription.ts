// One abort listener per signal, however many waiters share it. A backup run hands one
// AbortSignal to every request it makes; with 4 mailboxes x 4 items plus probes, more than ten
// requests wait at once (for a gate slot, for byte budget, for a retry delay), and one listener
// each made Node warn of an EventTarget leak (MaxListenersExceededWarning) although every
// listener was removed in time. Subscribing through here keeps the signal's listener count at
// one per signal while the waiters come and go.

type Callback = () => void;

const subscribers = new WeakMap<AbortSignal, Set<Callback>>();

/**
 * Calls `callback` once when `signal` aborts, unless the returned function is called first.
 * MUST NOT be called with an already aborted signal (callers check `signal.aborted` first).
 */
export function onAbort(signal: AbortSignal | undefined, callback: Callback): () => void {
  if (signal === undefined) return () => {};
  let set = subscribers.get(signal);
  if (set === undefined) {
    const fresh = new Set<Callback>();
    set = fresh;
    subscribers.set(signal, fresh);
    signal.addEventListener(
      "abort",
      () => {
        subscribers.delete(signal);
        for (const subscriber of [...fresh]) subscriber();
      },
      { once: true },
    );
  }
  const mine = set;
  // A distinct function per subscription, so the same callback may be subscribed twice.
  const entry: Callback = () => callback();
  mine.add(entry);
  return () => {
    mine.delete(entry);
  };
}
