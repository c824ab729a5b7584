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
