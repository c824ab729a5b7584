// Exports changed items and stores them: candidates are grouped into export requests
// (planBatches: limits.exportBatchItems items, the source's maxExportBatchBytes), each batch
// holds its estimated memory in the run's one ByteBudget from before the request until its items
// are stored, and every exported item is saved through the writer (with its MIME when asked)
// and recorded in the index. Items the server asks to retry are tried once more at the end.
import { type ByteBudget, EwsVaultError, isEwsVaultError, planBatches } from "@ewsvault/mailbox";
import type { IndexedItem } from "../../mailbox-index/index.js";
import { describeError } from "../describe-error.js";
import { itemBinding } from "../item-binding.js";
import type { ExportCandidate, FolderFailureLatch, MailboxRun } from "./context.js";
import type { Durability } from "./durability.js";
import type { IndexSession } from "./index-session.js";
import type { BackupProgress } from "./progress.js";

// What this stage uses of the others (declared here, so its dependencies are visible).
type Recorder = Pick<IndexSession, "putItem" | "folderPath">;
type Storage = Pick<Durability, "writer" | "stored">;
type Reporter = Pick<BackupProgress, "stats" | "progress" | "addBytes" | "itemFailed">;

/** What an item of unknown size counts for in the memory estimate (not in batching). */
const UNKNOWN_ITEM_BYTES = 64 * 1024;
/** Pause before the items the server asked to retry are exported again. */
const RETRY_DELAY_MS = 1000;

export class ExportStore {
  readonly #run: MailboxRun;
  readonly #budget: ByteBudget;
  readonly #session: Recorder;
  readonly #durability: Storage;
  readonly #progress: Reporter;
  readonly #failure: FolderFailureLatch;
  #retry: ExportCandidate[] = [];

  constructor(
    run: MailboxRun,
    budget: ByteBudget,
    session: Recorder,
    durability: Storage,
    progress: Reporter,
    failure: FolderFailureLatch,
  ) {
    this.#run = run;
    this.#budget = budget;
    this.#session = session;
    this.#durability = durability;
    this.#progress = progress;
    this.#failure = failure;
  }

  /** Exports and stores `candidates`, its batches concurrently (within the request limit). */
  async export(candidates: readonly ExportCandidate[], isRetry = false): Promise<void> {
    if (candidates.length === 0) return;
    const batches = planBatches(candidates, {
      maxItems: this.#run.limits.exportBatchItems,
      maxBytes: this.#run.source.capabilities.maxExportBatchBytes,
      sizeOf: (candidate) => candidate.summary.size,
    });
    await Promise.all(batches.map((batch) => this.#exportBatch(batch, isRetry)));
  }

  /** Exports, once, what the server asked to retry during the run. */
  async retryDeferred(): Promise<void> {
    if (this.#retry.length === 0) return;
    const deferred = this.#retry;
    this.#retry = [];
    await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
    await this.export(deferred, true);
  }

  async #exportBatch(batch: readonly ExportCandidate[], isRetry: boolean): Promise<void> {
    const { mailbox, signal, source } = this.#run;
    signal?.throwIfAborted();
    // An item in flight costs more than its size: the SOAP response holds it as base64 (4/3),
    // decoding passes through a string of that base64 (4/3 again) before the bytes exist (1).
    const bytes = batch.reduce((sum, c) => sum + (c.summary.size ?? UNKNOWN_ITEM_BYTES), 0);
    const reserved = await this.#budget.acquire(this.#run.limits.exportMemoryFactor * bytes, signal);
    try {
      const byId = new Map(batch.map((c) => [c.summary.itemId, c]));
      const results = await this.#run.request(async () => {
        // Batches queue behind the limiter; one that starts after cancellation must not run.
        signal?.throwIfAborted();
        this.#failure.throwIfFailed();
        const collected = [];
        const ids = batch.map((c) => ({
          itemId: c.summary.itemId,
          ...(c.summary.size === undefined ? {} : { size: c.summary.size }),
        }));
        for await (const result of source.exportItems(mailbox, ids, signal)) collected.push(result);
        return collected;
      });
      // A batch's items are stored concurrently: with the repository's write pool each store is
      // a worker round trip (two for items over 32 KiB), and one at a time would leave the
      // workers waiting.
      const stores: Promise<void>[] = [];
      let fatal: EwsVaultError | undefined;
      for (const result of results) {
        const candidate = byId.get(result.itemId);
        if (candidate === undefined) continue;
        if (result.ok) {
          stores.push(this.#storeItem(candidate, result.data));
          continue;
        }
        const { error } = result;
        if (error.disposition === "fatal") {
          fatal = new EwsVaultError(error.code, error.message, { details: { itemId: result.itemId } });
          break;
        }
        if (error.disposition === "retry" && !isRetry) {
          this.#retry.push(candidate);
          continue;
        }
        this.#itemFailed(candidate, error.code, error.message, error.responseCode);
      }
      const stored = await Promise.allSettled(stores);
      if (fatal !== undefined) throw fatal;
      for (const outcome of stored) if (outcome.status === "rejected") throw outcome.reason;
    } finally {
      this.#budget.release(reserved);
    }
  }

  async #storeItem(candidate: ExportCandidate, data: Uint8Array): Promise<void> {
    const { summary, folder } = candidate;
    const writer = await this.#durability.writer();
    // A source that hands its bytes over lets the write pool take the buffer instead of a copy.
    const transfer = this.#run.source.capabilities.handsOverItemBytes === true;
    const saved = await writer.saveData(data, { transfer });
    let mimeBlobIds: readonly string[] | undefined;
    if (this.#run.options.captureMime && (summary.itemClass ?? "").toLowerCase().startsWith("ipm.note")) {
      try {
        const { mailbox, signal, source } = this.#run;
        const mime = await this.#run.request(() => source.getMimeContent(mailbox, summary.itemId, signal));
        const savedMime = await writer.saveData(mime, { transfer });
        mimeBlobIds = savedMime.blobIds;
        this.#account(savedMime.size, savedMime.newBytes, savedMime.storedBytes);
      } catch (error) {
        if (isEwsVaultError(error) && error.code === "EWS_AUTH_FAILED") throw error;
        const { code, message } = describeError(error);
        this.#itemFailed(candidate, code, `MIME not captured: ${message}`);
      }
    }
    const { parentFolderId: _parent, ...rest } = summary;
    const stored = {
      itemId: summary.itemId,
      blobIds: saved.blobIds,
      dataSize: saved.size,
      ...(mimeBlobIds === undefined ? {} : { mimeBlobIds }),
    };
    this.#session.putItem({
      ...rest,
      ...stored,
      folderId: folder.folder.folderId,
      // Bound here, where the bytes were just exported for this item id (item-binding.ts).
      binding: itemBinding(this.#run.repository, stored),
    } as IndexedItem);
    this.#account(saved.size, saved.newBytes, saved.storedBytes);
    this.#progress.stats.itemsDone++;
    this.#progress.progress();
  }

  #account(read: number, fresh: number, stored: number): void {
    this.#progress.addBytes(read, fresh, stored);
    this.#durability.stored(stored);
  }

  #itemFailed(candidate: ExportCandidate, code: string, reason: string, responseCode?: string): void {
    this.#progress.itemFailed({
      itemId: candidate.summary.itemId,
      folderPath: this.#session.folderPath(candidate.folder),
      ...(candidate.summary.subject === undefined ? {} : { subject: candidate.summary.subject }),
      code,
      ...(responseCode === undefined ? {} : { responseCode }),
      reason,
    });
  }
}
