// An async hand-off between the batch workers of exportItems() and its consumer: workers push
// results as their batches complete, the consumer pulls them one at a time. close() lets the
// consumer stop early and get back what it never took (so the bytes it holds can be released).

/** Single-consumer queue: push/end/fail on the producing side, next/close on the consuming one. */
export class Channel<T> {
  private readonly buffer: T[] = [];
  private waiter: (() => void) | undefined;
  private done = false;
  private failure: { error: unknown } | undefined;
  /** Set by close(): producers stop, pushes are refused. */
  closed = false;

  /** Queues a value; false (and nothing queued) once the channel is closed. */
  push(value: T): boolean {
    if (this.closed) return false;
    this.buffer.push(value);
    this.wake();
    return true;
  }
  /** No more values: next() resolves undefined once the buffer is empty. */
  end(): void {
    this.done = true;
    this.wake();
  }
  /** The producers failed: next() rejects with `error` (the first one given). */
  fail(error: unknown): void {
    this.failure ??= { error };
    this.wake();
  }
  /** Stops accepting values and returns what was never taken. */
  close(): T[] {
    this.closed = true;
    return this.buffer.splice(0);
  }
  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
  async next(): Promise<{ value: T } | undefined> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure.error;
      if (this.buffer.length > 0) return { value: this.buffer.shift() as T };
      if (this.done) return undefined;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }
}
