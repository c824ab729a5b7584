// The mailboxes a worker backs up at once: `concurrency` engine runs, whichever queue gave the
// work (a mailbox job, or a claim as the holder of the mailbox's index, affinity.ts). Both BullMQ
// workers may hold up to `concurrency` jobs each; a job waiting here keeps its lease (BullMQ
// renews it while the processor runs), so waiting costs no failover. First come, first served.
export class MailboxSlots {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(size: number) {
    this.free = size;
  }

  /** Resolves with a release function once a slot is free; call it exactly once. */
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.free++;
    };
  }
}
