// Opaque sync states of the in-memory mailbox: which ids (folders or items) a client has seen
// with which change key, bound to the folder (or hierarchy root) they were issued for, so a
// state passed to the wrong folder or a garbage state is refused like Exchange refuses it.
import { Buffer } from "node:buffer";
import { EwsVaultError } from "../errors.js";

export interface SyncStateContent {
  /** The folder id (item sync) or "hierarchy:<root>" the state belongs to. */
  readonly scope: string;
  /** id -> change key as last reported. */
  readonly seen: Map<string, string>;
}

export function encodeSyncState(scope: string, seen: ReadonlyMap<string, string>): string {
  return Buffer.from(JSON.stringify({ v: 1, scope, seen: [...seen.entries()] })).toString("base64");
}

/** The state's content; a fresh (empty) one for undefined; EWS_INVALID_SYNC_STATE for any other scope or garbage. */
export function decodeSyncState(state: string | undefined, scope: string): SyncStateContent {
  if (state === undefined) return { scope, seen: new Map() };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(state, "base64").toString("utf8"));
  } catch (cause) {
    throw new EwsVaultError("EWS_INVALID_SYNC_STATE", "invalid sync state", { cause });
  }
  const content = parsed as { v?: unknown; scope?: unknown; seen?: unknown };
  if (
    content === null ||
    typeof content !== "object" ||
    content.v !== 1 ||
    content.scope !== scope ||
    !Array.isArray(content.seen) ||
    !content.seen.every((entry) => Array.isArray(entry) && entry.length === 2)
  ) {
    throw new EwsVaultError("EWS_INVALID_SYNC_STATE", "invalid sync state (garbage, or of another folder)");
  }
  return { scope, seen: new Map(content.seen as Array<[string, string]>) };
}

export type SyncDiffChange<T> =
  | { readonly kind: "create" | "update"; readonly value: T }
  | { readonly kind: "delete"; readonly id: string };

/**
 * One sync page: what changed in `current` (id -> change key and value) since `seen`, at most
 * `max` changes (creates and updates first, then deletes), the state after this page, and
 * whether nothing is left for a next page.
 */
export function diffSince<T>(
  current: ReadonlyMap<string, { readonly changeKey: string; readonly value: T }>,
  seen: ReadonlyMap<string, string>,
  max: number,
): { changes: SyncDiffChange<T>[]; next: Map<string, string>; complete: boolean } {
  const next = new Map(seen);
  const changes: SyncDiffChange<T>[] = [];
  let pending = 0;
  const take = (change: SyncDiffChange<T>, apply: () => void) => {
    if (changes.length >= max) pending++;
    else {
      changes.push(change);
      apply();
    }
  };
  for (const [id, { changeKey, value }] of current) {
    const was = seen.get(id);
    if (was !== changeKey)
      take({ kind: was === undefined ? "create" : "update", value }, () => next.set(id, changeKey));
  }
  for (const id of seen.keys()) if (!current.has(id)) take({ kind: "delete", id }, () => next.delete(id));
  return { changes, next, complete: pending === 0 };
}
