// Helpers the conformance checks are built from, exported for implementations' own tests:
// paging a sync to its end, collecting an export, asserting an EwsVaultError code.
import { expect } from "vitest";
import type { ItemErrorCode } from "../error-codes.js";
import { EwsVaultError } from "../errors.js";
import type { FolderInfo, HierarchyChange } from "../port/folders.js";
import type { ExportResult, ItemChange } from "../port/items.js";
import type { MailboxSource } from "../port/source.js";
import type { MailboxUnderTest } from "./harness.js";

interface SyncRun<Change> {
  /** Every change of every page, in order. */
  readonly changes: Change[];
  readonly pageSizes: number[];
  /** The state after the last page. */
  readonly syncState: string;
}

/** Calls `page` with each page's state until one says it was the last (10 000 pages at most). */
async function pageToEnd<Change>(
  from: string | undefined,
  page: (
    syncState: string | undefined,
  ) => Promise<{ changes: readonly Change[]; syncState: string; last: boolean }>,
  what: string,
): Promise<SyncRun<Change>> {
  const changes: Change[] = [];
  const pageSizes: number[] = [];
  let syncState = from;
  for (let pages = 0; pages < 10_000; pages++) {
    const answer = await page(syncState);
    changes.push(...answer.changes);
    pageSizes.push(answer.changes.length);
    syncState = answer.syncState;
    if (answer.last) return { changes, pageSizes, syncState };
  }
  throw new Error(`${what} never reported its last page`);
}

/** Pages SyncFolderHierarchy from `options.syncState` to the end. */
export function syncHierarchyToEnd(
  source: MailboxSource,
  mailbox: string,
  options: { syncState?: string; rootFolderId?: string } = {},
): Promise<SyncRun<HierarchyChange>> {
  return pageToEnd(
    options.syncState,
    async (syncState) => {
      const page = await source.syncFolderHierarchy(mailbox, { ...options, syncState });
      return { ...page, last: page.includesLastFolderInRange };
    },
    "syncFolderHierarchy",
  );
}

/** Pages SyncFolderItems of one folder from `options.syncState` to the end. */
export function syncItemsToEnd(
  source: MailboxSource,
  mailbox: string,
  folderId: string,
  options: { syncState?: string; maxChanges?: number } = {},
): Promise<SyncRun<ItemChange>> {
  return pageToEnd(
    options.syncState,
    async (syncState) => {
      const page = await source.syncFolderItems(mailbox, folderId, { ...options, syncState });
      return { ...page, last: page.includesLastItemInRange };
    },
    "syncFolderItems",
  );
}

/** The folders a hierarchy sync from scratch reports, by id. */
export async function currentFolders(
  source: MailboxSource,
  mailbox: string,
): Promise<Map<string, FolderInfo>> {
  const folders = new Map<string, FolderInfo>();
  for (const change of (await syncHierarchyToEnd(source, mailbox)).changes) {
    if (change.kind === "delete") folders.delete(change.folderId);
    else folders.set(change.folder.folderId, change.folder);
  }
  return folders;
}

/** Every result of an export, by item id (duplicates fail). */
export async function exportAll(
  source: MailboxSource,
  mailbox: string,
  itemIds: readonly string[],
  signal?: AbortSignal,
): Promise<Map<string, ExportResult>> {
  const results = new Map<string, ExportResult>();
  for await (const result of source.exportItems(
    mailbox,
    itemIds.map((itemId) => ({ itemId })),
    signal,
  )) {
    expect(results.has(result.itemId), `exportItems yielded ${result.itemId} twice`).toBe(false);
    results.set(result.itemId, result);
  }
  return results;
}

/** The data of an export that must have succeeded. */
export function exportedData(results: ReadonlyMap<string, ExportResult>, itemId: string): Uint8Array {
  const result = results.get(itemId);
  expect(result, `no export result for ${itemId}`).toBeDefined();
  if (result?.ok !== true) throw new Error(`export of ${itemId} failed: ${JSON.stringify(result)}`);
  expect(result.data).toBeInstanceOf(Uint8Array);
  return result.data;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** Awaits `action` and asserts it rejects with an EwsVaultError carrying `code`. */
export async function expectMailboxError(
  action: () => unknown,
  code: ItemErrorCode,
  what = "call",
): Promise<EwsVaultError> {
  let error: unknown;
  try {
    await action();
  } catch (caught) {
    error = caught;
  }
  expect(error, `${what}: expected ${code}, nothing was thrown`).toBeDefined();
  expect(error, `${what}: expected EwsVaultError ${code}, got ${String(error)}`).toBeInstanceOf(
    EwsVaultError,
  );
  expect((error as EwsVaultError).code, `${what}: code`).toBe(code);
  return error as EwsVaultError;
}

/** A name no earlier run used (folders of concurrent checks never collide). */
export function uniqueName(prefix: string): string {
  return `${prefix} ${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

/** A new folder (named `prefix` plus a unique suffix) below msgfolderroot, with its root's id. */
export async function freshFolder(
  subject: Pick<MailboxUnderTest, "source" | "mailbox" | "fixture">,
  prefix: string,
): Promise<{ root: string; folder: string }> {
  const root = await messageRoot(subject.source, subject.mailbox);
  return { root, folder: await subject.fixture.addFolder(root, uniqueName(prefix)) };
}

/** The mailbox's msgfolderroot id, where checks create their folders. */
export async function messageRoot(source: MailboxSource, mailbox: string): Promise<string> {
  const info = await source.getMailboxInfo(mailbox);
  const root = info.distinguishedFolders.msgfolderroot;
  expect(root, "getMailboxInfo must name msgfolderroot").toBeTypeOf("string");
  return root as string;
}
