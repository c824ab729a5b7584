// exportItems(): ExportItems in batches planned under maxExportBatchBytes, sent by up to
// gate.max workers, their results streamed to the consumer through a Channel while every byte
// of item data in flight is held against the ByteBudget. A batch the server finds too large is
// split, an item too large on its own comes back as a skip error, items that come back transient
// are asked for again; responses that overshoot the plan teach the exporter a larger growth.
import { type ByteBudget, type ExportRequest, type ExportResult, planBatches } from "@ewsvault/mailbox";
import {
  callContext,
  callItems,
  type ItemAnswer,
  isSizeExceeded,
  type OperationScope,
  settleTransient,
  sizeExceededError,
} from "./call.js";
import { Channel } from "./channel.js";
import { itemErrorFor } from "./errors.js";
import {
  batchEstimate,
  exportBatchLimits,
  MAX_GROWTH,
  MAX_ITEMS_PER_BATCH,
  planExportBatches,
  STREAM_GROWTH,
} from "./export-batching.js";
import { exportItemsRequest } from "./requests.js";
import type { ResolvedRetryOptions } from "./retry.js";
import type { ResponseMessage } from "./soap.js";
import type { CallResult, EwsLogger } from "./transport-types.js";
import { child, INVALID_PAYLOAD_ATTRIBUTE } from "./xml-parser.js";

export interface BulkExportOptions {
  readonly scope: OperationScope;
  /** Largest expected ExportItems response (base64 bytes). */
  readonly maxBatchBytes: number;
  readonly budget: ByteBudget;
  /** Most batches in flight at once (the gate's ceiling: more would only queue in it). */
  readonly maxWorkers: number;
  readonly retry: ResolvedRetryOptions;
  readonly logger?: EwsLogger;
  /** Counted per ExportItems request sent and per batch split in halves. */
  readonly counters: { exportRequests: number; exportSplits: number };
}

const tooLarge = (answer: ItemAnswer<ExportResult>): boolean =>
  "result" in answer && !answer.result.ok && answer.result.error.responseCode === "ErrorMessageSizeExceeded";

/** The ExportItems side of one client: its learned growth lasts as long as the client. */
export class BulkExporter {
  /**
   * Export stream bytes per reported Size byte used for planning. Starts at 1.1; when a
   * multi-item response still overshoots the cap (the server under-reports Size), it is raised
   * to what was observed (at most 4) so later batches are planned smaller.
   */
  private growth = STREAM_GROWTH;
  private warnedGrowth = false;

  constructor(private readonly options: BulkExportOptions) {}

  /** Yields exactly one result per request, in any order. `items` are validated by the caller. */
  async *exportItems(
    mailbox: string,
    items: readonly ExportRequest[],
    signal?: AbortSignal,
  ): AsyncGenerator<ExportResult> {
    if (items.length === 0) return;
    const { maxBatchBytes, budget } = this.options;
    // Batches are cut when a worker is free, so a growth learned from an earlier response
    // already shapes the rest of this call. A batch holds at most MAX_ITEMS_PER_BATCH items, so
    // planning that many ahead gives the next batch.
    let cursor = 0;
    const takeBatch = (): ExportRequest[] | undefined => {
      const window = items.slice(cursor, cursor + MAX_ITEMS_PER_BATCH);
      const batch = planBatches(window, exportBatchLimits(maxBatchBytes, this.growth))[0];
      cursor += batch?.length ?? 0;
      return batch;
    };
    const planned = planExportBatches(items, maxBatchBytes, this.growth).length;
    const stop = new AbortController();
    const linked = signal === undefined ? stop.signal : AbortSignal.any([signal, stop.signal]);
    const channel = new Channel<{ result: ExportResult; bytes: number }>();
    // A pull-based pool rather than p-limit: the number of batches is only known as they are cut.
    const worker = async () => {
      for (let batch = takeBatch(); batch !== undefined && !channel.closed; batch = takeBatch()) {
        let held = await budget.acquire(batchEstimate(batch, this.growth), linked);
        try {
          const results = await this.exportBatch(mailbox, batch, linked);
          const actual = results.reduce((sum, r) => sum + (r.ok ? r.data.byteLength : 0), 0);
          if (actual > held) held += budget.forceAcquire(actual - held);
          for (const result of results) {
            const bytes = result.ok ? result.data.byteLength : 0;
            if (channel.push({ result, bytes })) held -= bytes;
          }
        } finally {
          budget.release(held);
        }
      }
    };
    const workerCount = Math.max(1, Math.min(planned, this.options.maxWorkers));
    Promise.all(Array.from({ length: workerCount }, worker)).then(
      () => channel.end(),
      (error) => channel.fail(error),
    );
    // Set when every batch was answered: nothing is left to stop, and aborting costs a
    // DOMException with its stack trace per call (a few per cent of the main thread on small items).
    let drained = false;
    try {
      for (;;) {
        const next = await channel.next();
        if (next === undefined) {
          drained = true;
          return;
        }
        try {
          yield next.value.result;
        } finally {
          budget.release(next.value.bytes);
        }
      }
    } finally {
      if (!drained) stop.abort();
      for (const leftover of channel.close()) budget.release(leftover.bytes);
    }
  }

  /**
   * One batch: split in halves when the response would be too large, export items that were
   * individually too large alone, and ask again (with backoff) for items that came back
   * transient. One result per request, in request order.
   */
  private async exportBatch(
    mailbox: string,
    batch: ExportRequest[],
    signal: AbortSignal,
  ): Promise<ExportResult[]> {
    let first: ItemAnswer<ExportResult>[];
    try {
      first = await this.exportOnce(mailbox, batch, signal);
    } catch (error) {
      if (!isSizeExceeded(error)) throw error;
      if (batch.length > 1) return this.splitExport(mailbox, batch, signal);
      return [{ ok: false, itemId: (batch[0] as ExportRequest).itemId, error: sizeExceededError(error) }];
    }
    if (batch.length > 1 && first.every(tooLarge)) return this.splitExport(mailbox, batch, signal);
    if (batch.length > 1) {
      for (const [index, answer] of first.entries()) {
        if (!tooLarge(answer)) continue;
        const [alone] = await this.exportBatch(mailbox, [batch[index] as ExportRequest], signal);
        first[index] = { result: alone as ExportResult };
      }
    }
    return settleTransient(
      batch,
      first,
      (again) => this.exportOnce(mailbox, again, signal),
      (request): ExportResult => ({
        ok: false,
        itemId: request.itemId,
        error: itemErrorFor("ErrorServerBusy", "still busy after retries"),
      }),
      this.options.retry,
      signal,
    );
  }

  private async splitExport(
    mailbox: string,
    batch: ExportRequest[],
    signal: AbortSignal,
  ): Promise<ExportResult[]> {
    this.options.counters.exportSplits++;
    const middle = Math.ceil(batch.length / 2);
    return [
      ...(await this.exportBatch(mailbox, batch.slice(0, middle), signal)),
      ...(await this.exportBatch(mailbox, batch.slice(middle), signal)),
    ];
  }

  /** One ExportItems request; one answer per requested id, in request order. */
  private async exportOnce(
    mailbox: string,
    batch: ExportRequest[],
    signal: AbortSignal,
  ): Promise<ItemAnswer<ExportResult>[]> {
    const { scope } = this.options;
    this.options.counters.exportRequests++;
    const { answers, result } = await callItems(scope.transport, {
      operationName: "ExportItems",
      body: exportItemsRequest(batch.map((b) => b.itemId)),
      context: callContext(scope.access(mailbox), signal, "Data"),
      objects: batch,
      onSuccess: (message, request, call): ExportResult => exportedData(message, request.itemId, call),
      onError: (error, request): ExportResult => ({ ok: false, itemId: request.itemId, error }),
    });
    if (batch.length > 1 && result.responseBytes > this.options.maxBatchBytes) {
      this.learnGrowth(batch, answers, result.responseBytes);
    }
    return answers;
  }

  private learnGrowth(
    batch: readonly ExportRequest[],
    answers: readonly ItemAnswer<ExportResult>[],
    responseBytes: number,
  ): void {
    let data = 0;
    let reported = 0;
    answers.forEach((answer, index) => {
      const size = batch[index]?.size;
      if ("result" in answer && answer.result.ok && size !== undefined && size > 0) {
        data += answer.result.data.byteLength;
        reported += size;
      }
    });
    if (reported === 0) return;
    // 5 % headroom over what was seen, so the next batch lands under the cap, not on it.
    const next = Math.min(MAX_GROWTH, (data / reported) * 1.05);
    if (next <= this.growth) return;
    this.growth = next;
    if (!this.warnedGrowth) {
      this.warnedGrowth = true;
      this.options.logger?.warn?.(
        "ExportItems response exceeded maxExportBatchBytes: item sizes are under-reported",
        {
          responseBytes,
          maxExportBatchBytes: this.options.maxBatchBytes,
          growth: Number(next.toFixed(2)),
        },
      );
    }
  }
}

/** The decoded Data of a successful ExportItems message, or a skip error for a damaged one. */
function exportedData(message: ResponseMessage, itemId: string, result: CallResult): ExportResult {
  const dataElement = child(message.element, "Data");
  if (dataElement?.attributes[INVALID_PAYLOAD_ATTRIBUTE] !== undefined) {
    // One item's damaged stream: report and skip that item, keep the rest of the batch.
    return {
      ok: false,
      itemId,
      error: {
        code: "EWS_MALFORMED_RESPONSE",
        message: "ExportItems Data of this item is not base64",
        disposition: "skip",
      },
    };
  }
  const marker = dataElement?.attributes.payload;
  const data = marker === undefined ? undefined : result.payloads[Number(marker)];
  return data === undefined
    ? {
        ok: false,
        itemId,
        error: {
          code: "EWS_MALFORMED_RESPONSE",
          message: "ExportItems success without Data",
          disposition: "skip",
        },
      }
    : { ok: true, itemId, data };
}
