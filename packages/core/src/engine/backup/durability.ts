// The write rule of a backup, in one place: the index (item versions and sync states) is
// committed only after the repository writer's checkpoint() made the data it describes durable,
// and only after the caller's fencing hook (options.beforeCommit("sync-state")) allowed it. A
// killed run therefore redoes at most the work since the last checkpoint and never records a
// sync state past unsaved items. This file also owns the mailbox's one writer, which it starts
// on first use (a run that changed nothing may never need one).
import type { EngineWriter } from "../repository-port.js";
import type { MailboxRun } from "./context.js";
import type { IndexSession } from "./index-session.js";

/** What the write rule uses of the index session: its pending changes and the tree flag. */
type PendingIndex = Pick<IndexSession, "takePending" | "committed" | "treeChanged">;

export class Durability {
  readonly #run: MailboxRun;
  readonly #session: PendingIndex;
  readonly #onCheckpoint: () => void;
  #writer: EngineWriter | undefined;
  #writerStarting: Promise<EngineWriter> | undefined;
  #checkpointing: Promise<void> = Promise.resolve();
  #lastCheckpoint = Date.now();
  #bytesSinceCheckpoint = 0;

  /** `onCheckpoint` is told after each commit (the checkpoint event). */
  constructor(run: MailboxRun, session: PendingIndex, onCheckpoint: () => void) {
    this.#run = run;
    this.#session = session;
    this.#onCheckpoint = onCheckpoint;
  }

  /**
   * The mailbox's one writer, started on first use. Batches store items concurrently, so the
   * start is shared: two writers would leave one that no checkpoint() covers. The checkpoint
   * knobs reach the writer only when the caller set them; otherwise it keeps its own defaults
   * (repository/writer.ts), which differ from the engine's (limits.ts).
   */
  writer(): Promise<EngineWriter> {
    const { checkpointBytes, checkpointSeconds } = this.#run.options;
    this.#writerStarting ??= this.#run.repository
      .startWriter({
        ...(checkpointBytes === undefined ? {} : { checkpointBytes }),
        ...(checkpointSeconds === undefined ? {} : { checkpointSeconds }),
      })
      .then((writer) => {
        this.#writer = writer;
        return writer;
      });
    return this.#writerStarting;
  }

  /** Counts stored bytes towards the next checkpoint (limits.checkpointBytes). */
  stored(bytes: number): void {
    this.#bytesSinceCheckpoint += bytes;
  }

  /** Makes saved data durable, then commits the index changes that describe it. Serialised. */
  checkpoint(): Promise<void> {
    const run = async () => {
      const pending = this.#session.takePending();
      this.#bytesSinceCheckpoint = 0;
      this.#lastCheckpoint = Date.now();
      // Nothing saved yet means nothing to make durable (a run that only read markers).
      await this.#writer?.checkpoint();
      // The index is about to differ from the last snapshot's tree: that tree is no longer reusable.
      if (this.#session.treeChanged) pending.batch.setLastTreeKey(undefined);
      await this.#run.options.beforeCommit?.("sync-state");
      await pending.batch.commit();
      this.#session.committed(pending);
      this.#onCheckpoint();
    };
    this.#checkpointing = this.#checkpointing.then(run, run);
    return this.#checkpointing;
  }

  /** A checkpoint when limits.checkpointSeconds passed or limits.checkpointBytes were stored since the last. */
  async maybeCheckpoint(): Promise<void> {
    const { checkpointSeconds, checkpointBytes } = this.#run.limits;
    if (
      Date.now() - this.#lastCheckpoint >= checkpointSeconds * 1000 ||
      this.#bytesSinceCheckpoint >= checkpointBytes
    ) {
      await this.checkpoint();
    }
  }

  /** Closes the writer, if one was started (its close makes what it holds durable). */
  async close(): Promise<void> {
    const writer = await this.#writerStarting?.catch(() => undefined);
    await writer?.close().catch(() => {});
  }
}
