// createEwsClient(): the MailboxSource + MailboxTarget of one EWS endpoint. This file validates
// the options and wires the parts together; the operations live in operations/, ExportItems in
// bulk-export.ts, UploadItems in bulk-upload.ts, all of them sending through call.ts; HTTP,
// retries and throttling live in the transport.
import type {
  ApplySettingsOptions,
  ExportRequest,
  ExportResult,
  FolderChangeProbe,
  FolderInfo,
  GetSettingsOptions,
  HierarchySyncPage,
  ItemSummary,
  ItemSyncPage,
  MailboxInfo,
  MailboxSettingsRead,
  MailboxSource,
  MailboxTarget,
  SettingsApplyReport,
  SettingsKind,
  SettingsValues,
  SourceCapabilities,
  SyncOptions,
  UploadRequest,
  UploadResult,
} from "@ewsvault/mailbox";
import { ByteBudget as SharedByteBudget } from "@ewsvault/mailbox";
import { BulkExporter } from "./bulk-export.js";
import { type BulkUploadOptions, uploadItems } from "./bulk-upload.js";
import { ByteBudget } from "./byte-budget.js";
import { mailboxAccess, type OperationScope, requireMailbox } from "./call.js";
import { type EwsClientOptions, resolveClientOptions } from "./client-options.js";
import { AdaptiveConcurrencyGate } from "./concurrency-gate.js";
import type { ConcurrencyGate } from "./gate-contract.js";
import { createFolder } from "./operations/create-folder.js";
import { findFolders, findItems } from "./operations/find.js";
import { probeFolders } from "./operations/folder-probe.js";
import { getMimeContent } from "./operations/item-content.js";
import { MailboxInfoCache } from "./operations/mailbox-info.js";
import { applySettings, EWS_SETTINGS_KINDS, readSettings } from "./operations/settings/index.js";
import { syncFolderHierarchy, syncFolderItems } from "./operations/sync.js";
import { EwsTransport } from "./transport.js";
import type { TransportStats } from "./transport-types.js";

export type { EwsClientOptions } from "./client-options.js";
export { PROBE_BATCH_FOLDERS } from "./operations/folder-probe.js";

/** Default budget on item data in flight (inFlightBytes). */
const DEFAULT_IN_FLIGHT_BYTES = 256 * 1024 * 1024;

export interface EwsClientStats extends TransportStats {
  readonly exportRequests: number;
  readonly exportSplits: number;
  readonly uploadRequests: number;
}

export interface EwsClient extends MailboxSource, MailboxTarget {
  readonly capabilities: SourceCapabilities;
  /** The endpoint's concurrency gate (observe it through snapshot()). */
  readonly gate: ConcurrencyGate;
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
  /** FindItem Traversal="Associated", paged to the end: a folder's associated items. */
  findAssociatedItems(mailbox: string, folderId: string, signal?: AbortSignal): Promise<ItemSummary[]>;
  /** Inbox rules, OOF, folder permissions, delegates and user configurations (port/settings.ts). */
  getSettings(
    mailbox: string,
    kinds: readonly SettingsKind[],
    options?: GetSettingsOptions,
  ): Promise<MailboxSettingsRead>;
  applySettings(
    mailbox: string,
    settings: Partial<SettingsValues>,
    options?: ApplySettingsOptions,
  ): Promise<SettingsApplyReport>;
}

class EwsClientImpl implements EwsClient {
  readonly capabilities: SourceCapabilities;
  readonly gate: ConcurrencyGate;
  readonly byteBudget: SharedByteBudget;
  private readonly transport: EwsTransport;
  private readonly scope: OperationScope;
  private readonly mailboxInfo: MailboxInfoCache;
  private readonly exporter: BulkExporter;
  private readonly upload: BulkUploadOptions;
  private readonly pageSize: number;
  private readonly counters = { exportRequests: 0, exportSplits: 0, uploadRequests: 0 };

  constructor(options: EwsClientOptions) {
    const { url, maxConcurrency, maxBatchBytes, pageSize, retry } = resolveClientOptions(options);
    this.pageSize = pageSize;
    this.byteBudget =
      options.inFlightBytes instanceof SharedByteBudget
        ? options.inFlightBytes
        : new ByteBudget(options.inFlightBytes ?? DEFAULT_IN_FLIGHT_BYTES);
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
      retry,
      logger: options.logger,
      gate: this.gate,
      onResponse: options.onResponse,
      ...(options.maxResponseBytes !== undefined ? { maxResponseBytes: options.maxResponseBytes } : {}),
      ...(options.allowInsecureAuth !== undefined ? { allowInsecureAuth: options.allowInsecureAuth } : {}),
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
    });
    this.scope = {
      transport: this.transport,
      access: (mailbox) => mailboxAccess(options.auth, options.impersonation, mailbox),
    };
    this.mailboxInfo = new MailboxInfoCache(this.scope);
    this.exporter = new BulkExporter({
      scope: this.scope,
      maxBatchBytes,
      budget: this.byteBudget,
      maxWorkers: this.gate.max,
      retry,
      logger: options.logger,
      counters: this.counters,
    });
    this.upload = {
      scope: this.scope,
      folders: this.mailboxInfo,
      maxBatchBytes,
      maxWorkers: this.gate.max,
      retry,
      counters: this.counters,
    };
    // Every payload is decoded into a buffer of its own that this client drops once yielded.
    this.capabilities = {
      maxConcurrencyPerMailbox: maxConcurrency,
      maxExportBatchBytes: maxBatchBytes,
      handsOverItemBytes: true,
      associatedItems: true,
      settingsKinds: EWS_SETTINGS_KINDS,
    };
  }

  stats(): EwsClientStats {
    return { ...this.transport.getStats(), ...this.counters };
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  getMailboxInfo(mailbox: string, signal?: AbortSignal): Promise<MailboxInfo> {
    return this.mailboxInfo.get(mailbox, signal);
  }

  resolveFolderId(mailbox: string, folderId: string, signal?: AbortSignal): Promise<string> {
    return this.mailboxInfo.resolveFolderId(mailbox, folderId, signal);
  }

  async probeFolders(
    mailbox: string,
    folderIds: readonly string[],
    signal?: AbortSignal,
  ): Promise<ReadonlyMap<string, FolderChangeProbe>> {
    requireMailbox(mailbox);
    return probeFolders(this.scope, mailbox, folderIds, signal);
  }

  async syncFolderHierarchy(
    mailbox: string,
    options?: SyncOptions & { readonly rootFolderId?: string },
  ): Promise<HierarchySyncPage> {
    requireMailbox(mailbox);
    return syncFolderHierarchy(this.scope, this.mailboxInfo, mailbox, options);
  }

  async syncFolderItems(mailbox: string, folderId: string, options?: SyncOptions): Promise<ItemSyncPage> {
    requireMailbox(mailbox);
    return syncFolderItems(this.scope, mailbox, folderId, options);
  }

  findItems(mailbox: string, folderId: string, signal?: AbortSignal): Promise<ItemSummary[]> {
    requireMailbox(mailbox);
    return findItems(this.scope, mailbox, folderId, { pageSize: this.pageSize, signal });
  }

  findAssociatedItems(mailbox: string, folderId: string, signal?: AbortSignal): Promise<ItemSummary[]> {
    requireMailbox(mailbox);
    return findItems(this.scope, mailbox, folderId, { pageSize: this.pageSize, signal, associated: true });
  }

  async findFolders(mailbox: string, rootFolderId: string, signal?: AbortSignal): Promise<FolderInfo[]> {
    requireMailbox(mailbox);
    const view = { pageSize: this.pageSize, signal };
    return findFolders(this.scope, this.mailboxInfo, mailbox, rootFolderId, view);
  }

  async getMimeContent(mailbox: string, itemId: string, signal?: AbortSignal): Promise<Uint8Array> {
    requireMailbox(mailbox);
    return getMimeContent(this.scope, mailbox, itemId, signal);
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
    const folder = { parentFolderId, displayName, folderClass };
    return createFolder(this.scope, this.mailboxInfo, mailbox, folder, signal);
  }

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
    return this.exporter.exportItems(mailbox, [...items], signal);
  }

  async getSettings(
    mailbox: string,
    kinds: readonly SettingsKind[],
    options?: GetSettingsOptions,
  ): Promise<MailboxSettingsRead> {
    requireMailbox(mailbox);
    return readSettings(this.scope, mailbox, kinds, options);
  }

  async applySettings(
    mailbox: string,
    settings: Partial<SettingsValues>,
    options?: ApplySettingsOptions,
  ): Promise<SettingsApplyReport> {
    requireMailbox(mailbox);
    return applySettings(this.scope, mailbox, settings, options);
  }

  uploadItems(
    mailbox: string,
    items: readonly UploadRequest[],
    signal?: AbortSignal,
  ): Promise<UploadResult[]> {
    return uploadItems(this.upload, mailbox, items, signal);
  }
}

/** An EWS client implementing MailboxSource and MailboxTarget for one endpoint. */
export function createEwsClient(options: EwsClientOptions): EwsClient {
  if (options === null || typeof options !== "object") throw new TypeError("options are required");
  return new EwsClientImpl(options);
}
