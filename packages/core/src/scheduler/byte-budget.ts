// A weighted semaphore over bytes: item data in flight (exported, not yet stored) must fit in
// a fixed budget so peak memory does not grow with the number or size of items. An item larger
// than the whole budget is admitted alone, when nothing else is in flight.
export class ByteBudget {
  readonly capacity: number;
  #inUse = 0;
  readonly #waiters: Array<{ bytes: number; resolve: () => void }> = [];

  constructor(capacity: number) {
    if (!Number.isFinite(capacity) || capacity <= 0) throw new TypeError("ByteBudget capacity must be > 0");
    this.capacity = capacity;
  }

  get inUse(): number {
    return this.#inUse;
  }

  /** Waits until `bytes` fit, takes them, and returns the function that gives them back. */
  async acquire(bytes: number, signal?: AbortSignal): Promise<() => void> {
    const amount = Math.max(0, Math.ceil(bytes));
    if (this.#fits(amount) && this.#waiters.length === 0) {
      this.#inUse += amount;
    } else {
      await new Promise<void>((resolve, reject) => {
        const waiter = { bytes: amount, resolve };
        this.#waiters.push(waiter);
        signal?.addEventListener(
          "abort",
          () => {
            const at = this.#waiters.indexOf(waiter);
            if (at >= 0) {
              this.#waiters.splice(at, 1);
              reject(signal.reason);
            }
          },
          { once: true },
        );
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inUse -= amount;
      this.#drain();
    };
  }

  #fits(bytes: number): boolean {
    return this.#inUse + bytes <= this.capacity || this.#inUse === 0;
  }

  #drain(): void {
    while (this.#waiters.length > 0) {
      const next = this.#waiters[0]!;
      if (!this.#fits(next.bytes)) return;
      this.#waiters.shift();
      this.#inUse += next.bytes;
      next.resolve();
    }
  }
}
