// A weighted async semaphore over bytes: callers reserve the size of the item data they are
// about to hold and give it back when it has been handed on. Peak memory then depends on the
// budget, not on how many or how large the items are. FIFO: a large reservation at the head
// is not starved by a stream of small ones.
//
// The one byte budget of the project: the engine holds exported items against one (data between
// export and store), the EWS client holds response bytes against one (it may be the same
// instance, shared through the client's options).
import { onAbort } from "./abort-subscription.js";

/** Builds the error a waiting acquire() rejects with when its signal aborts. */
export type AbortErrorFactory = (signal: AbortSignal) => unknown;

export interface ByteBudgetSnapshot {
  readonly capacity: number;
  readonly inUse: number;
  /** Highest inUse seen so far. */
  readonly peak: number;
  readonly waiting: number;
}

export class ByteBudget {
  readonly capacity: number;
  private used = 0;
  private high = 0;
  private readonly queue: Array<{ bytes: number; resolve: () => void }> = [];

  readonly #abortError: AbortErrorFactory;

  /** `abortError` defaults to the signal's reason. */
  constructor(capacity: number, abortError: AbortErrorFactory = (signal) => signal.reason) {
    if (!Number.isFinite(capacity) || capacity < 1) throw new TypeError("capacity must be a positive number");
    this.capacity = Math.floor(capacity);
    this.#abortError = abortError;
  }

  get inUse(): number {
    return this.used;
  }

  snapshot(): ByteBudgetSnapshot {
    return { capacity: this.capacity, inUse: this.used, peak: this.high, waiting: this.queue.length };
  }

  /**
   * Reserves `bytes` (clamped to the capacity, so one huge item can still pass alone) and
   * resolves with the amount actually reserved; pass that to release().
   */
  async acquire(bytes: number, signal?: AbortSignal): Promise<number> {
    if (!Number.isFinite(bytes) || bytes < 0) throw new TypeError("bytes must be a non-negative number");
    const amount = Math.min(Math.ceil(bytes), this.capacity);
    if (signal?.aborted) throw this.#abortError(signal);
    if (this.queue.length === 0 && this.used + amount <= this.capacity) {
      this.take(amount);
      return amount;
    }
    await new Promise<void>((resolve, reject) => {
      const entry = { bytes: amount, resolve: () => {} };
      const unsubscribe = onAbort(signal, () => {
        const index = this.queue.indexOf(entry);
        if (index >= 0) this.queue.splice(index, 1);
        if (signal !== undefined) reject(this.#abortError(signal));
        this.drain();
      });
      entry.resolve = () => {
        unsubscribe();
        resolve();
      };
      this.queue.push(entry);
    });
    return amount;
  }

  /** Accounts for bytes that arrived beyond a reservation (estimates can be low). Never waits. */
  forceAcquire(bytes: number): number {
    const amount = Math.max(0, Math.ceil(bytes));
    this.take(amount);
    return amount;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
    this.drain();
  }

  private take(amount: number): void {
    this.used += amount;
    if (this.used > this.high) this.high = this.used;
  }

  private drain(): void {
    while (this.queue.length > 0) {
      const head = this.queue[0] as { bytes: number; resolve: () => void };
      if (this.used + head.bytes > this.capacity && this.used > 0) break;
      this.queue.shift();
      this.take(head.bytes);
      head.resolve();
    }
  }
}
