// createEwsClient(): the MailboxSource + MailboxTarget over our own SOAP layer. Batching of
// ExportItems/UploadItems under a byte cap, the in-flight byte budget and the per-item error
// classification live here; HTTP, retries and throttling live in the transport.
import type {
  DistinguishedFolderName,
  ExportRequest,
  ExportResult,
  FolderChangeProbe,
  FolderInfo,
  HierarchySyncPage,
  ItemError,
  ItemSummary,
  ItemSyncPage,
  MailboxInfo,
  MailboxSource,
  MailboxTarget,
  SourceCapabilities,
  SyncOptions,
  UploadRequest,
  UploadResult,
} from "@ewsvault/mailbox";
import { EwsVaultError } from "@ewsvault/mailbox";
import type { EwsAuth } from "./auth.js";
import { ByteBudget as SharedByteBudget } from "@ewsvault/mailbox";
import { ByteBudget } from "./byte-budget.js";
import { AdaptiveConcurrencyGate } from "./concurrency-gate.js";
import {
  errorCodeForResponseCode,
  ewsError,
  isMailboxFatalResponseCode,
  isTransientResponseCode,
  itemErrorFor,
} from "./errors.js";
import {
  DISTINGUISHED_FOLDER_NAMES,
  createFolderRequest,
  exportItemsRequest,
  findFolderRequest,
  findItemRequest,
  getFolderRequest,
  getMimeContentRequest,
  isDistinguishedFolderName,
  probeFoldersRequest,
  syncFolderHierarchyRequest,
  syncFolderItemsRequest,
  uploadItemsRequest,
} from "./requests.js";
import {
  type FindPage,
  folderElements,
  parseFindPage,
  parseFolder,
  parseFolderProbe,
  parseHierarchyChanges,
  parseItem,
  parseItemChanges,
} from "./responses.js";
import {
  Channel,
  ENVELOPE_OVERHEAD,
  estimatedExportBytes,
  MAX_GROWTH,
  MAX_ITEMS_PER_BATCH,
  PER_ITEM_OVERHEAD,
  planExportBatches,
  STREAM_GROWTH,
  batchEstimate,
} from "./export-batching.js";
import { type RetryOptions, resolveRetryOptions, retryDelay, sleep } from "./retry.js";
import { type ResponseMessage, isSuccess, responseMessages } from "./soap.js";
import {
  type CallContext,
  type EwsLogger,
  EwsTransport,
  type ResponseInfo,
  type TransportStats,
} from "./transport.js";
import { child, childText, INVALID_PAYLOAD_ATTRIBUTE } from "./xml-parser.js";

export interface EwsClientOptions {
  /** EWS endpoint, e.g. https://mail.example.com/EWS/Exchange.asmx */
  readonly url: string | URL;
  readonly auth: EwsAuth;
  /**
   * Use ExchangeImpersonation for mailboxes other than the authenticated user's. Default: true
   * when the mailbox differs from the user (always for bearer auth without `username`); false
   * means delegate access (the mailbox is named in DistinguishedFolderId instead).
   */
  readonly impersonation?: boolean;
  /** Concurrent requests to the endpoint (and HTTP connections); default 8. */
  readonly maxConcurrency?: number;
  /** Accept any TLS certificate. Off unless given explicitly; logs a warning once. */
  readonly allowInsecureTls?: boolean;
  /** Whole-request deadline per attempt; default 120 000 ms. */
  readonly requestTimeoutMs?: number;
  /** TCP+TLS connect deadline; default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /** Default "ewsvault/0.1". */
  readonly userAgent?: string;
  /** Largest ExportItems/UploadItems payload per request (base64 bytes); default 16 MiB. */
  readonly maxExportBatchBytes?: number;
  /** Budget on item data held in flight (bytes or a shared ByteBudget); default 256 MiB. */
  readonly inFlightBytes?: number | SharedByteBudget;
  readonly retry?: RetryOptions;
  readonly logger?: EwsLogger;
  /** RequestServerVersion; default Exchange2013_SP1. */
  readonly serverVersion?: string;
  /** Page size of FindItem/FindFolder; default 500. */
  readonly pageSize?: number;
  /** Share a gate between clients of the same endpoint (default: one per client). */
  readonly gate?: AdaptiveConcurrencyGate;
  /** Called after every HTTP response (operation, status, body bytes, duration); for metrics. */
  readonly onResponse?: (info: ResponseInfo) => void;
  /**
   * Largest HTTP response body accepted, enforced while it streams in (EWS_RESPONSE_TOO_LARGE,
   * connection dropped); default 128 MiB.
   */
  readonly maxResponseBytes?: number;
  /**
   * Send Basic credentials or a bearer token over plain http. Off: such a client is refused
   * with EWS_INSECURE_AUTH; on, it logs a warning. NTLM/Negotiate never send the password.
   */
  readonly allowInsecureAuth?: boolean;
  /** Extra trusted CA certificates (PEM), e.g. an internal CA or a test server's own certificate. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
}

export interface EwsClientStats extends TransportStats {
  readonly exportRequests: number;
  readonly exportSplits: number;
  readonly uploadRequests: number;
}

export interface EwsClient extends MailboxSource, MailboxTarget {
  readonly capabilities: SourceCapabilities;
  /** The endpoint's adaptive concurrency gate (observe limit/inFlight/throttleEvents). */
  readonly gate: AdaptiveConcurrencyGate;
  /** The in-flight item-data budget. */
  readonly byteBudget: SharedByteBudget;
  stats(): EwsClientStats;
  /** Real folder id of a distinguished folder (cached per mailbox). */
  resolveFolderId(mailbox: string, folderId: string, signal?: AbortSignal): Promise<string>;
  /** GetFolder with TotalCount, UnreadCount, 0x670A and 0x670B, PROBE_BATCH_FOLDERS folders per request. */
  probeFolders(
    mailbox: string,
    folderIds: readonly string[],
    signal?: AbortSignal,
  ): Promise<ReadonlyMap<string, FolderChangeProbe>>;
}

const MIB = 1024 * 1024;
/** Folders per GetFolder of probeFolders: one request for a typical mailbox, small enough responses for big ones. */
export const PROBE_BATCH_FOLDERS = 200;
/** FindItem/FindFolder pages in a row that bring no id not seen before, tolerated before giving up. */
const MAX_REPEATED_FIND_PAGES = 3;

function requireMailbox(mailbox: string): void {
  if (typeof mailbox !== "string" || mailbox.trim() === "")
    throw new TypeError("mailbox must be a non-empty string");
}

class EwsClientImpl implements EwsClient {
  readonly capabilities: SourceCapabilities;
  readonly gate: AdaptiveConcurrencyGate;
  readonly byteBudget: SharedByteBudget;
  private readonly transport: EwsTransport;
  private readonly options: EwsClientOptions;
  private readonly maxBatchBytes: number;
  private readonly pageSize: number;
  private readonly retry: ReturnType<typeof resolveRetryOptions>;
  private readonly folderCache = new Map<string, Promise<MailboxInfo>>();
  private readonly counters = { exportRequests: 0, exportSplits: 0, uploadRequests: 0 };
  /**
   * Export stream bytes per reported Size byte used for planning. Starts at 1.1; when a
   * multi-item response still overshoots the cap (the server under-reports Size), it is raised
   * to what was observed (at most 4) so later exportItems calls plan smaller batches.
   */
  private growth = STREAM_GROWTH;
  private warnedGrowth = false;

  constructor(options: EwsClientOptions) {
    this.options = options;
    const url = new URL(options.url);
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new TypeError("url must be http(s)");
    if (url.username !== "" || url.password !== "")
      throw new TypeError("put credentials in auth, not in the url");
    const auth = options.auth as EwsAuth | undefined;
    if (auth?.kind === "basic" || auth?.kind === "ntlm" || auth?.kind === "negotiate") {
      if (typeof auth.username !== "string" || typeof auth.password !== "string") {
        throw new TypeError(`${auth.kind} auth needs username and password`);
      }
    } else if (auth?.kind === "bearer") {
      if (typeof auth.getToken !== "function") throw new TypeError("bearer auth needs getToken()");
    } else {
      throw new TypeError('auth.kind must be "basic", "ntlm", "negotiate" or "bearer"');
    }
    const maxConcurrency = options.maxConcurrency ?? 8;
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1)
      throw new TypeError("maxConcurrency must be >= 1");
    this.maxBatchBytes = options.maxExportBatchBytes ?? 16 * MIB;
    if (!Number.isFinite(this.maxBatchBytes) || this.maxBatchBytes < 1024) {
      throw new TypeError("maxExportBatchBytes must be >= 1024");
    }
    this.pageSize = options.pageSize ?? 500;
    this.retry = resolveRetryOptions(options.retry);
    this.byteBudget =
      options.inFlightBytes instanceof SharedByteBudget
        ? options.inFlightBytes
        : new ByteBudget(options.inFlightBytes ?? 256 * MIB);
    this.gate = options.gate ?? new AdaptiveConcurrencyGate({ max: maxConcurrency });
    this.transport = new EwsTransport({
      url,
      auth: options.auth,
      maxConcurrency,
      allowInsecureTls: options.allowInsecureTls === true,
      requestTimeoutMs: options.requestTimeoutMs ?? 120_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      userAgent: options.userAgent ?? "ewsvault/0.1",
      serverVersion: options.serverVersion ?? "Exchange2013_SP1",
      retry: this.retry,
      logger: options.logger,
      gate: this.gate,
      onResponse: options.onResponse,
      ...(options.maxResponseBytes !== undefined ? { maxResponseBytes: options.maxResponseBytes } : {}),
      ...(options.allowInsecureAuth !== undefined ? { allowInsecureAuth: options.allowInsecureAuth } : {}),
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
    });
    // Every payload is decoded into a buffer of its own that this client drops once yielded.
    this.capabilities = {
      maxConcurrencyPerMailbox: maxConcurrency,
      maxExportBatchBytes: this.maxBatchBytes,
      handsOverItemBytes: true,
    };
  }

  stats(): EwsClientStats {
    return { ...this.transport.getStats(), ...this.counters };
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  // ---- access mode ------------------------------------------------------------------------

  private isOwnMailbox(mailbox: string): boolean {
    const auth = this.options.auth;
    // "DOMAIN\user" names no mailbox; a UPN usually is the user's own address.
    const user = auth.username;
    return user !== undefined && user.toLowerCase() === mailbox.toLowerCase();
  }

  private context(
    mailbox: string,
    signal?: AbortSignal,
    payloadElement?: string,
  ): CallContext & { delegate?: string } {
    const own = this.isOwnMailbox(mailbox);
    const impersonate = this.options.impersonation ?? !own;
    return {
      mailbox,
      impersonate,
      signal,
      payloadElement,
      delegate: !impersonate && !own ? mailbox : undefined,
    };
  }

  /** The single ResponseMessage of a one-object request, or the mapped error. */
  private single(messages: ResponseMessage[], operationName: string, mailbox: string): ResponseMessage {
    const message = messages[0];
    if (message === undefined)
      throw ewsError("EWS_MALFORMED_RESPONSE", `${operationName} response has no message`);
    if (!isSuccess(message)) throw this.messageError(message, operationName, mailbox);
    return message;
  }

  private messageError(message: ResponseMessage, operationName: string, mailbox: string): EwsVaultError {
    return ewsError(
      errorCodeForResponseCode(message.responseCode),
      `EWS ${operationName} failed for ${mailbox}: ${message.responseCode}${message.messageText ? ` (${message.messageText})` : ""}`,
      { details: { responseCode: message.responseCode, mailbox, operation: operationName } },
    );
  }

  // ---- MailboxSource / MailboxTarget ------------------------------------------------------

  getMailboxInfo(mailbox: string, signal?: AbortSignal): Promise<MailboxInfo> {
    requireMailbox(mailbox);
    // A cached answer needs no request, but an aborted caller still gets EWS_ABORTED (the port's contract).
    if (signal?.aborted === true)
      return Promise.reject(ewsError("EWS_ABORTED", "aborted", { cause: signal.reason }));
    const key = mailbox.toLowerCase();
    let cached = this.folderCache.get(key);
    if (cached === undefined) {
      cached = this.fetchMailboxInfo(mailbox, signal);
      this.folderCache.set(key, cached);
      cached.catch(() => this.folderCache.delete(key));
    }
    return cached;
  }

  private async fetchMailboxInfo(mailbox: string, signal?: AbortSignal): Promise<MailboxInfo> {
    const context = this.context(mailbox, signal);
    const names = DISTINGUISHED_FOLDER_NAMES;
    const { soap } = await this.transport.call(
      "GetFolder",
      getFolderRequest(names, context.delegate),
      context,
    );
    const messages = responseMessages(soap.body);
    if (messages.length !== names.length) {
      throw ewsError(
        "EWS_MALFORMED_RESPONSE",
        `GetFolder answered ${messages.length} of ${names.length} folders`,
      );
    }
    const folders: Partial<Record<DistinguishedFolderName, string>> = {};
    messages.forEach((message, index) => {
      const name = names[index] as DistinguishedFolderName;
      if (isSuccess(message)) {
        const folder = folderElements(child(message.element, "Folders"))[0];
        const id = child(folder, "FolderId")?.attributes.Id;
        if (id !== undefined) folders[name] = id;
        return;
      }
      if (isMailboxFatalResponseCode(message.responseCode))
        throw this.messageError(message, "GetFolder", mailbox);
      if (name === "msgfolderroot") throw this.messageError(message, "GetFolder", mailbox);
      // Optional folders (archive, public folders, recoverable items) may simply not exist.
    });
    return { smtpAddress: mailbox, distinguishedFolders: folders };
  }

  /**
   * Folder id -> distinguished name for a mailbox, so hierarchy results can say which folder
   * is the inbox even when the server does not return DistinguishedFolderId. Loads (and
   * caches) getMailboxInfo once per mailbox and client.
   */
  private async distinguishedIds(
    mailbox: string,
    signal?: AbortSignal,
  ): Promise<Map<string, DistinguishedFolderName>> {
    const info = await this.getMailboxInfo(mailbox, signal);
    const map = new Map<string, DistinguishedFolderName>();
    for (const [name, id] of Object.entries(info.distinguishedFolders)) {
      if (id !== undefined) map.set(id, name as DistinguishedFolderName);
    }
    return map;
  }

  async resolveFolderId(mailbox: string, folderId: string, signal?: AbortSignal): Promise<string> {
    if (!isDistinguishedFolderName(folderId)) return folderId;
    const info = await this.getMailboxInfo(mailbox, signal);
    const id = info.distinguishedFolders[folderId];
    if (id === undefined) {
      throw ewsError("EWS_FOLDER_NOT_FOUND", `${mailbox} has no ${folderId} folder`, {
        details: { mailbox, folderId },
      });
    }
    return id;
  }

  async probeFolders(
    mailbox: string,
    folderIds: readonly string[],
    signal?: AbortSignal,
  ): Promise<ReadonlyMap<string, FolderChangeProbe>> {
    requireMailbox(mailbox);
    const probes = new Map<string, FolderChangeProbe>();
    const context = this.context(mailbox, signal);
    const chunks: string[][] = [];
    for (let i = 0; i < folderIds.length; i += PROBE_BATCH_FOLDERS)
      chunks.push(folderIds.slice(i, i + PROBE_BATCH_FOLDERS));
    await Promise.all(
      chunks.map(async (ids) => {
        const { soap } = await this.transport.call(
          "GetFolder",
          probeFoldersRequest(ids, context.delegate),
          context,
        );
        const messages = responseMessages(soap.body);
        if (messages.length !== ids.length) {
          throw ewsError(
            "EWS_MALFORMED_RESPONSE",
            `GetFolder answered ${messages.length} of ${ids.length} folders`,
          );
        }
        messages.forEach((message, index) => {
          if (!isSuccess(message)) {
            if (isMailboxFatalResponseCode(message.responseCode))
              throw this.messageError(message, "GetFolder", mailbox);
            return; // this folder only (deleted meanwhile, no rights): the engine syncs it
          }
          const folder = folderElements(child(message.element, "Folders"))[0];
          if (folder !== undefined) probes.set(ids[index] as string, parseFolderProbe(folder));
        });
      }),
    );
    return probes;
  }

  async syncFolderHierarchy(
    mailbox: string,
    options?: SyncOptions & { readonly rootFolderId?: string },
  ): Promise<HierarchySyncPage> {
    requireMailbox(mailbox);
    const context = this.context(mailbox, options?.signal);
    const request = syncFolderHierarchyRequest(
      options?.rootFolderId ?? "msgfolderroot",
      options?.syncState,
      context.delegate,
    );
    const names = await this.distinguishedIds(mailbox, options?.signal);
    const { soap } = await this.transport.call("SyncFolderHierarchy", request, context);
    const message = this.single(responseMessages(soap.body), "SyncFolderHierarchy", mailbox);
    const syncState = childText(message.element, "SyncState");
    if (syncState === undefined)
      throw ewsError("EWS_MALFORMED_RESPONSE", "SyncFolderHierarchy response lacks SyncState");
    return {
      changes: parseHierarchyChanges(child(message.element, "Changes"), names),
      syncState,
      includesLastFolderInRange: childText(message.element, "IncludesLastFolderInRange")?.trim() !== "false",
    };
  }

  async syncFolderItems(mailbox: string, folderId: string, options?: SyncOptions): Promise<ItemSyncPage> {
    requireMailbox(mailbox);
    const context = this.context(mailbox, options?.signal);
    const request = syncFolderItemsRequest({
      folderId,
      syncState: options?.syncState,
      maxChanges: options?.maxChanges ?? 512,
      includeAssociated: options?.includeAssociated,
      delegateMailbox: context.delegate,
    });
    const { soap } = await this.transport.call("SyncFolderItems", request, context);
    const message = this.single(responseMessages(soap.body), "SyncFolderItems", mailbox);
    const syncState = childText(message.element, "SyncState");
    if (syncState === undefined)
      throw ewsError("EWS_MALFORMED_RESPONSE", "SyncFolderItems response lacks SyncState");
    return {
      changes: parseItemChanges(child(message.element, "Changes")),
      syncState,
      includesLastItemInRange: childText(message.element, "IncludesLastItemInRange")?.trim() !== "false",
    };
  }

  private async pages<T>(
    mailbox: string,
    operationName: "FindItem" | "FindFolder",
    build: (offset: number) => ReturnType<typeof findItemRequest>,
    parse: (message: ResponseMessage) => FindPage<T>,
    key: (entry: T) => string,
    signal?: AbortSignal,
  ): Promise<T[]> {
    const context = this.context(mailbox, signal);
    const all: T[] = [];
    const seen = new Set<string>();
    let stalled = 0;
    let offset = 0;
    for (;;) {
      const { soap } = await this.transport.call(operationName, build(offset), context);
      const page = parse(this.single(responseMessages(soap.body), operationName, mailbox));
      let fresh = 0;
      for (const entry of page.entries) {
        const id = key(entry);
        if (seen.has(id)) continue;
        seen.add(id);
        all.push(entry);
        fresh++;
      }
      if (page.includesLast || page.entries.length === 0) return all;
      // A server that never says IncludesLastItemInRange: done once the view's own count is
      // reached; pages that only repeat what came before end the call with a coded error.
      if (page.totalItemsInView !== undefined && all.length >= page.totalItemsInView) return all;
      stalled = fresh === 0 ? stalled + 1 : 0;
      if (stalled >= MAX_REPEATED_FIND_PAGES) {
        throw ewsError("EWS_MALFORMED_RESPONSE", `${operationName} pages repeat and never reach the end`, {
          details: { mailbox, operation: operationName, entries: all.length },
        });
      }
      const next = page.nextOffset ?? offset + page.entries.length;
      // A server that does not advance would loop forever; trust our own count instead.
      offset = next > offset ? next : offset + page.entries.length;
    }
  }

  findItems(mailbox: string, folderId: string, signal?: AbortSignal): Promise<ItemSummary[]> {
    requireMailbox(mailbox);
    const delegate = this.context(mailbox).delegate;
    return this.pages(
      mailbox,
      "FindItem",
      (offset) => findItemRequest({ folderId, offset, pageSize: this.pageSize, delegateMailbox: delegate }),
      (message) => parseFindPage(message.element, "Items", parseItem),
      (item) => item.itemId,
      signal,
    );
  }

  async findFolders(mailbox: string, rootFolderId: string, signal?: AbortSignal): Promise<FolderInfo[]> {
    requireMailbox(mailbox);
    const delegate = this.context(mailbox).delegate;
    const names = await this.distinguishedIds(mailbox, signal);
    const find = (folderId: string, deep: boolean) =>
      this.pages(
        mailbox,
        "FindFolder",
        (offset) =>
          findFolderRequest({ folderId, offset, pageSize: this.pageSize, deep, delegateMailbox: delegate }),
        (message) => parseFindPage(message.element, "Folders", (e) => parseFolder(e, names)),
        (folder) => folder.folderId,
        signal,
      );
    if (rootFolderId !== "publicfoldersroot") {
      try {
        return await find(rootFolderId, true);
      } catch (error) {
        // Public folder trees refuse Deep traversal; walk them level by level instead.
        const code = error instanceof EwsVaultError ? error.details.responseCode : undefined;
        if (code !== "ErrorInvalidOperation" && code !== "ErrorInvalidRequest") throw error;
      }
    }
    const out: FolderInfo[] = [];
    const queue = [rootFolderId];
    while (queue.length > 0) {
      const parent = queue.shift() as string;
      for (const folder of await find(parent, false)) {
        out.push(folder);
        queue.push(folder.folderId);
      }
    }
    return out;
  }

  async getMimeContent(mailbox: string, itemId: string, signal?: AbortSignal): Promise<Uint8Array> {
    requireMailbox(mailbox);
    const context = this.context(mailbox, signal, "MimeContent");
    const { soap, payloads } = await this.transport.call("GetItem", getMimeContentRequest(itemId), context);
    const message = this.single(responseMessages(soap.body), "GetItem", mailbox);
    const item = child(message.element, "Items")?.children[0];
    const mime = child(item, "MimeContent");
    // Not thrown by the transport (one bad payload is one bad item): never returned as empty MIME.
    if (mime?.attributes[INVALID_PAYLOAD_ATTRIBUTE] !== undefined)
      throw ewsError("EWS_MALFORMED_RESPONSE", "MimeContent is not base64");
    const marker = mime?.attributes.payload;
    if (marker === undefined) return new Uint8Array(0);
    const data = payloads[Number(marker)];
    if (data === undefined) throw ewsError("EWS_MALFORMED_RESPONSE", "MimeContent payload missing");
    return data;
  }

  async createFolder(
    mailbox: string,
    parentFolderId: string,
    displayName: string,
    folderClass?: string,
    signal?: AbortSignal,
  ): Promise<FolderInfo> {
    requireMailbox(mailbox);
    if (typeof displayName !== "string" || displayName === "")
      throw new TypeError("displayName must be non-empty");
    const context = this.context(mailbox, signal);
    const parent = await this.resolveFolderId(mailbox, parentFolderId, signal).catch(() => parentFolderId);
    const request = createFolderRequest({
      parentFolderId: parent,
      displayName,
      folderClass,
      delegateMailbox: context.delegate,
    });
    const { soap } = await this.transport.call("CreateFolder", request, context);
    const message = this.single(responseMessages(soap.body), "CreateFolder", mailbox);
    const folder = folderElements(child(message.element, "Folders"))[0];
    const id = child(folder, "FolderId");
    if (id?.attributes.Id === undefined)
      throw ewsError("EWS_MALFORMED_RESPONSE", "CreateFolder response lacks FolderId");
    return {
      folderId: id.attributes.Id,
      changeKey: id.attributes.ChangeKey ?? "",
      parentFolderId: parent,
      displayName,
      ...(folderClass !== undefined ? { folderClass } : {}),
    };
  }

  // ---- ExportItems --------------------------------------------------------------------------

  exportItems(
    mailbox: string,
    items: readonly ExportRequest[],
    signal?: AbortSignal,
  ): AsyncIterable<ExportResult> {
    requireMailbox(mailbox);
    for (const item of items) {
      if (typeof item?.itemId !== "string" || item.itemId === "")
        throw new TypeError("every export needs an itemId");
    }
    return this.exportGenerator(mailbox, [...items], signal);
  }

  private async *exportGenerator(
    mailbox: string,
    items: ExportRequest[],
    signal?: AbortSignal,
  ): AsyncGenerator<ExportResult> {
    if (items.length === 0) return;
    // Batches are cut when a worker is free, so a growth learned from an earlier response
    // already shapes the rest of this call.
    let cursor = 0;
    const takeBatch = (): ExportRequest[] | undefined => {
      if (cursor >= items.length) return undefined;
      const batch: ExportRequest[] = [];
      let bytes = ENVELOPE_OVERHEAD;
      while (cursor < items.length) {
        const item = items[cursor] as ExportRequest;
        const known = item.size !== undefined && Number.isFinite(item.size);
        const estimate = known ? estimatedExportBytes(item.size as number, this.growth) : 0;
        if (!known || estimate + ENVELOPE_OVERHEAD > this.maxBatchBytes) {
          if (batch.length > 0) break;
          cursor++;
          return [item];
        }
        if (batch.length >= MAX_ITEMS_PER_BATCH || bytes + estimate > this.maxBatchBytes) break;
        batch.push(item);
        bytes += estimate;
        cursor++;
      }
      return batch;
    };
    const planned = planExportBatches(items, this.maxBatchBytes, this.growth).length;
    const stop = new AbortController();
    const linked = signal === undefined ? stop.signal : AbortSignal.any([signal, stop.signal]);
    const channel = new Channel<{ result: ExportResult; bytes: number }>();
    const budget = this.byteBudget;
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
    const workerCount = Math.max(1, Math.min(planned, this.gate.max));
    Promise.all(Array.from({ length: workerCount }, worker)).then(
      () => channel.end(),
      (error) => channel.fail(error),
    );
    try {
      for (;;) {
        const next = await channel.next();
        if (next === undefined) return;
        try {
          yield next.value.result;
        } finally {
          budget.release(next.value.bytes);
        }
      }
    } finally {
      stop.abort();
      for (const leftover of channel.close()) budget.release(leftover.bytes);
    }
  }

  /**
   * One batch: split in halves when the response would be too large, export items that were
   * individually too large alone, and ask again (with backoff) for items that came back
   * transient. Results may come back in any order; there is exactly one per request.
   */
  private async exportBatch(
    mailbox: string,
    batch: ExportRequest[],
    signal: AbortSignal,
  ): Promise<ExportResult[]> {
    let round: ExportResult[] & { backOffMs?: number };
    try {
      round = await this.exportOnce(mailbox, batch, signal);
    } catch (error) {
      if (error instanceof EwsVaultError && error.code === "EWS_MESSAGE_SIZE_EXCEEDED") {
        if (batch.length > 1) return this.splitExport(mailbox, batch, signal);
        const only = batch[0] as ExportRequest;
        return [
          { ok: false, itemId: only.itemId, error: itemErrorFor("ErrorMessageSizeExceeded", error.message) },
        ];
      }
      throw error;
    }
    const tooLarge = (r: ExportResult) => !r.ok && r.error.responseCode === "ErrorMessageSizeExceeded";
    if (batch.length > 1 && round.every(tooLarge)) return this.splitExport(mailbox, batch, signal);
    const results: ExportResult[] = [];
    const alone: ExportRequest[] = [];
    let transient: ExportRequest[] = [];
    round.forEach((result, index) => {
      const request = batch[index] as ExportRequest;
      if (batch.length > 1 && tooLarge(result)) alone.push(request);
      else if (!result.ok && isTransientResponseCode(result.error.responseCode ?? ""))
        transient.push(request);
      else results.push(result);
    });
    let hint = round.backOffMs;
    round.length = 0;
    for (const request of alone) results.push(...(await this.exportBatch(mailbox, [request], signal)));
    for (let attempt = 1; transient.length > 0; attempt++) {
      if (attempt >= this.retry.maxAttempts) {
        for (const request of transient) {
          results.push({
            ok: false,
            itemId: request.itemId,
            error: itemErrorFor("ErrorServerBusy", "still busy after retries"),
          });
        }
        break;
      }
      await sleep(retryDelay(this.retry, attempt, hint), signal);
      const again = await this.exportOnce(mailbox, transient, signal);
      hint = again.backOffMs;
      const next: ExportRequest[] = [];
      again.forEach((result, index) => {
        if (!result.ok && isTransientResponseCode(result.error.responseCode ?? "")) {
          next.push(transient[index] as ExportRequest);
        } else results.push(result);
      });
      transient = next;
    }
    return results;
  }

  private learnGrowth(
    batch: readonly ExportRequest[],
    results: readonly ExportResult[],
    responseBytes: number,
  ): void {
    let data = 0;
    let reported = 0;
    results.forEach((result, index) => {
      const size = batch[index]?.size;
      if (result.ok && size !== undefined && size > 0) {
        data += result.data.byteLength;
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
          maxExportBatchBytes: this.maxBatchBytes,
          growth: Number(next.toFixed(2)),
        },
      );
    }
  }

  private async splitExport(
    mailbox: string,
    batch: ExportRequest[],
    signal: AbortSignal,
  ): Promise<ExportResult[]> {
    this.counters.exportSplits++;
    const middle = Math.ceil(batch.length / 2);
    return [
      ...(await this.exportBatch(mailbox, batch.slice(0, middle), signal)),
      ...(await this.exportBatch(mailbox, batch.slice(middle), signal)),
    ];
  }

  /** One ExportItems request; one result per requested id, in request order. */
  private async exportOnce(
    mailbox: string,
    batch: ExportRequest[],
    signal: AbortSignal,
  ): Promise<ExportResult[] & { backOffMs?: number }> {
    const context = { ...this.context(mailbox, signal, "Data"), items: batch.length };
    this.counters.exportRequests++;
    const result = await this.transport.call(
      "ExportItems",
      exportItemsRequest(batch.map((b) => b.itemId)),
      context,
    );
    let messages = responseMessages(result.soap.body);
    // A request-level error (ErrorMailboxMoveInProgress, ErrorServerBusy, ...) comes back as one
    // error message for the whole batch: it applies to every item of it.
    const [only] = messages;
    if (messages.length === 1 && batch.length > 1 && only !== undefined && !isSuccess(only)) {
      messages = batch.map(() => only);
    }
    if (messages.length !== batch.length) {
      throw ewsError(
        "EWS_MALFORMED_RESPONSE",
        `ExportItems answered ${messages.length} of ${batch.length} items`,
      );
    }
    // The largest BackOffMilliseconds among per-item ErrorServerBusy answers, for the re-ask.
    const hints = messages.map((m) => m.backOffMs ?? 0);
    const backOffMs = Math.max(0, ...hints) || undefined;
    const results: ExportResult[] & { backOffMs?: number } = messages.map((message, index): ExportResult => {
      const request = batch[index] as ExportRequest;
      if (!isSuccess(message)) {
        return {
          ok: false,
          itemId: request.itemId,
          error: itemErrorFor(message.responseCode, message.messageText),
        };
      }
      const dataElement = child(message.element, "Data");
      if (dataElement?.attributes[INVALID_PAYLOAD_ATTRIBUTE] !== undefined) {
        // One item's damaged stream: report and skip that item, keep the rest of the batch.
        return {
          ok: false,
          itemId: request.itemId,
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
            itemId: request.itemId,
            error: {
              code: "EWS_MALFORMED_RESPONSE",
              message: "ExportItems success without Data",
              disposition: "skip",
            },
          }
        : { ok: true, itemId: request.itemId, data };
    });
    if (backOffMs !== undefined) results.backOffMs = backOffMs;
    if (batch.length > 1 && result.responseBytes > this.maxBatchBytes) {
      this.learnGrowth(batch, results, result.responseBytes);
    }
    return results;
  }

  // ---- UploadItems --------------------------------------------------------------------------

  async uploadItems(
    mailbox: string,
    items: readonly UploadRequest[],
    signal?: AbortSignal,
  ): Promise<UploadResult[]> {
    requireMailbox(mailbox);
    const resolved: UploadRequest[] = [];
    for (const item of items) {
      if (!(item?.data instanceof Uint8Array)) throw new TypeError("every upload needs data (Uint8Array)");
      if (item.mode !== "CreateNew" && item.mode !== "Update" && item.mode !== "UpdateOrCreate") {
        throw new TypeError(`unknown upload mode ${String(item.mode)}`);
      }
      if (item.mode !== "CreateNew" && !item.itemId) throw new TypeError(`${item.mode} needs itemId`);
      const parentFolderId = isDistinguishedFolderName(item.parentFolderId)
        ? await this.resolveFolderId(mailbox, item.parentFolderId, signal)
        : item.parentFolderId;
      resolved.push({ ...item, parentFolderId });
    }
    // Batch by request size the same way exports are batched by response size.
    const batches: number[][] = [];
    let current: number[] = [];
    let bytes = ENVELOPE_OVERHEAD;
    resolved.forEach((item, index) => {
      const size = Math.ceil(item.data.byteLength / 3) * 4 + PER_ITEM_OVERHEAD;
      if (
        current.length > 0 &&
        (bytes + size > this.maxBatchBytes || current.length >= MAX_ITEMS_PER_BATCH)
      ) {
        batches.push(current);
        current = [];
        bytes = ENVELOPE_OVERHEAD;
      }
      current.push(index);
      bytes += size;
    });
    if (current.length > 0) batches.push(current);
    const results: UploadResult[] = new Array(resolved.length);
    // On the first mailbox-level failure the other workers stop too: no uploads continue
    // behind the caller's back after the call has rejected.
    const stop = new AbortController();
    const linked = signal === undefined ? stop.signal : AbortSignal.any([signal, stop.signal]);
    let next = 0;
    let failure: { error: unknown } | undefined;
    const worker = async () => {
      while (next < batches.length && failure === undefined) {
        const batch = batches[next++] as number[];
        try {
          const batchResults = await this.uploadBatch(
            mailbox,
            batch.map((i) => resolved[i] as UploadRequest),
            linked,
          );
          batch.forEach((itemIndex, k) => {
            results[itemIndex] = batchResults[k] as UploadResult;
          });
        } catch (error) {
          failure ??= { error };
          stop.abort();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(batches.length, this.gate.max)) }, worker));
    if (failure !== undefined) throw failure.error;
    return results;
  }

  private async uploadBatch(
    mailbox: string,
    batch: UploadRequest[],
    signal?: AbortSignal,
  ): Promise<UploadResult[]> {
    const context = this.context(mailbox, signal);
    const results: (UploadResult | undefined)[] = new Array(batch.length).fill(undefined);
    let pending = batch.map((_, i) => i);
    let hint: number | undefined;
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > 1) await sleep(retryDelay(this.retry, attempt - 1, hint), signal);
      hint = undefined;
      this.counters.uploadRequests++;
      let soap: Awaited<ReturnType<EwsTransport["call"]>>["soap"];
      try {
        ({ soap } = await this.transport.call(
          "UploadItems",
          uploadItemsRequest(pending.map((i) => batch[i] as UploadRequest)),
          { ...context, items: pending.length },
        ));
      } catch (error) {
        if (
          error instanceof EwsVaultError &&
          error.code === "EWS_MESSAGE_SIZE_EXCEEDED" &&
          pending.length > 1
        ) {
          const middle = Math.ceil(pending.length / 2);
          const halves = [pending.slice(0, middle), pending.slice(middle)];
          for (const half of halves) {
            const out = await this.uploadBatch(
              mailbox,
              half.map((i) => batch[i] as UploadRequest),
              signal,
            );
            half.forEach((i, k) => {
              results[i] = out[k];
            });
          }
          return results as UploadResult[];
        }
        if (error instanceof EwsVaultError && error.code === "EWS_MESSAGE_SIZE_EXCEEDED") {
          results[pending[0] as number] = {
            ok: false,
            error: itemErrorFor("ErrorMessageSizeExceeded", error.message),
          };
          return results as UploadResult[];
        }
        throw error;
      }
      let messages = responseMessages(soap.body);
      // As in ExportItems: one error message for the batch is a request-level error for each item.
      const [only] = messages;
      if (messages.length === 1 && pending.length > 1 && only !== undefined && !isSuccess(only)) {
        messages = pending.map(() => only);
      }
      if (messages.length !== pending.length) {
        throw ewsError(
          "EWS_MALFORMED_RESPONSE",
          `UploadItems answered ${messages.length} of ${pending.length} items`,
        );
      }
      const stillPending: number[] = [];
      messages.forEach((message, k) => {
        const index = pending[k] as number;
        if (isSuccess(message)) {
          const id = child(message.element, "ItemId");
          results[index] =
            id?.attributes.Id === undefined
              ? {
                  ok: false,
                  error: {
                    code: "EWS_MALFORMED_RESPONSE",
                    message: "UploadItems success without ItemId",
                    disposition: "skip",
                  },
                }
              : { ok: true, itemId: id.attributes.Id, changeKey: id.attributes.ChangeKey ?? "" };
        } else if (isTransientResponseCode(message.responseCode) && attempt < this.retry.maxAttempts) {
          hint = Math.max(hint ?? 0, message.backOffMs ?? 0) || hint;
          stillPending.push(index);
        } else {
          const error: ItemError = itemErrorFor(message.responseCode, message.messageText);
          results[index] = { ok: false, error };
        }
      });
      pending = stillPending;
    }
    return results as UploadResult[];
  }
}

/** An EWS client implementing MailboxSource and MailboxTarget for one endpoint. */
export function createEwsClient(options: EwsClientOptions): EwsClient {
  if (options === null || typeof options !== "object") throw new TypeError("options are required");
  return new EwsClientImpl(options);
}
