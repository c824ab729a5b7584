// Restore stage 5, report: every item's outcome as it happens (an "item" event with the running
// count) and, at the end, the RestoreReport that lists them all. The other stages say what
// happened to an item here and nowhere else, so events and report always agree.
import { describeError } from "../describe-error.js";
import type { SnapshotItem } from "../snapshot-tree.js";
import type { RestoredItem, RestoreEvent, RestoreReport } from "../types.js";

export class RestoreRecorder {
  readonly #items: RestoredItem[] = [];
  readonly #total: number;
  readonly #onEvent: ((event: RestoreEvent) => void) | undefined;

  /** `total` is the number of items the plan restores (the "item" events' `total`). */
  constructor(total: number, onEvent?: (event: RestoreEvent) => void) {
    this.#total = total;
    this.#onEvent = onEvent;
  }

  #record(item: RestoredItem): void {
    this.#items.push(item);
    this.#onEvent?.({ type: "item", item, done: this.#items.length, total: this.#total });
  }

  /** Uploaded: created ("restored") or written over its copy in the target ("overwritten"). */
  uploaded(item: SnapshotItem, folderPath: string, overwritten: boolean, targetItemId: string): void {
    this.#record({
      ...sourceOf(item, folderPath),
      status: overwritten ? "overwritten" : "restored",
      targetItemId,
    });
  }

  /** Left alone: the target folder holds a copy already (conflict "skip"). */
  skipped(item: SnapshotItem, folderPath: string, targetItemId: string): void {
    this.#record({ ...sourceOf(item, folderPath), status: "skipped-existing", targetItemId });
  }

  /** Not restored, because of `thrown`. */
  failed(item: SnapshotItem, folderPath: string, thrown: unknown): void {
    this.failedWith(item, folderPath, describeError(thrown));
  }

  /** Not restored, for `error` as the target described it (a stable code and a message). */
  failedWith(item: SnapshotItem, folderPath: string, error: { code: string; message: string }): void {
    this.#record({
      ...sourceOf(item, folderPath),
      status: "failed",
      error: { code: error.code, message: error.message },
    });
  }

  report(
    run: Pick<RestoreReport, "snapshotId" | "mailbox" | "toMailbox" | "foldersCreated">,
    started: number,
  ): RestoreReport {
    const items = this.#items;
    return {
      ...run,
      items,
      restored: items.filter((r) => r.status === "restored" || r.status === "overwritten").length,
      skipped: items.filter((r) => r.status === "skipped-existing").length,
      failed: items.filter((r) => r.status === "failed").length,
      durationMs: Date.now() - started,
    };
  }
}

function sourceOf(
  item: SnapshotItem,
  folderPath: string,
): Pick<RestoredItem, "sourceItemId" | "folderPath" | "subject"> {
  return {
    sourceItemId: item.itemId,
    folderPath,
    ...(item.subject === undefined ? {} : { subject: item.subject }),
  };
}
