// How a mailbox's settings are stored in a snapshot (settings format v1; see
// docs/settings-document.md). Each kind's value is one document of canonical JSON (keys sorted,
// no whitespace) saved as data, so an unchanged kind serialises to the same bytes and costs
// nothing new, and a changed one stores only its own document. The mailbox tree's `settings`
// reference names a SettingsTree listing each kind the backup asked for: its document's blobs,
// or the failure that kept it from being read.

import type { SettingsFailure, SettingsKind, SettingsValues } from "@ewsvault/mailbox";
import { EwsVaultError, isErrorCode } from "@ewsvault/mailbox";
import { canonicalJson } from "@ewsvault/repository";
import type { SnapshotTreeReader } from "./snapshot-tree.js";

export const SETTINGS_FORMAT_VERSION = 1;
/** The document's `format` field: what the bytes are, whatever their version. */
export const SETTINGS_DOCUMENT_FORMAT = "ewsvault-settings";

/** Every kind, in the order a restore applies them (port/settings.ts). */
export const SETTINGS_KINDS: readonly SettingsKind[] = [
  "inboxRules",
  "oof",
  "folderPermissions",
  "delegates",
  "userConfigurations",
];

/** A stored failure: the port's SettingsFailure as JSON (an entry's also names the entry). */
export interface StoredFailure {
  readonly code: string;
  readonly message: string;
  readonly responseCode?: string;
}

/** One kind's document (the data blob's bytes, canonical JSON). */
export interface SettingsDocument<K extends SettingsKind = SettingsKind> {
  readonly format: typeof SETTINGS_DOCUMENT_FORMAT;
  readonly v: number;
  readonly kind: K;
  readonly value: SettingsValues[K];
  /** Entries the backup could not read (one folder's permissions, ...); empty when none. */
  readonly entryFailures: readonly (StoredFailure & { readonly entry: string })[];
}

/** A document's data: its blob ids (concatenated: the document's bytes) and its size. */
export interface DocumentRef {
  readonly content: readonly string[];
  readonly size: number;
}

/**
 * A kind in the settings tree: one document; or, for the list kinds of SPLIT_KINDS, one
 * document per entry (its value a one-entry list; the kind's value is their concatenation in
 * order) with the entries that could not be read; or why the kind was not read.
 */
export type StoredKindRef =
  | DocumentRef
  | {
      readonly documents: readonly DocumentRef[];
      readonly entryFailures: readonly (StoredFailure & { readonly entry: string })[];
    }
  | { readonly failure: StoredFailure };

/**
 * Kinds stored one document per entry: a folder's permissions or a configuration object changes
 * alone, so one change stores one small document, not every folder's again.
 */
export const SPLIT_KINDS: ReadonlySet<SettingsKind> = new Set(["folderPermissions", "userConfigurations"]);

export interface SettingsTree {
  readonly kind: "settings";
  readonly v: number;
  /** The kinds the backup asked for, by name (absent: not asked). */
  readonly kinds: { readonly [K in SettingsKind]?: StoredKindRef };
}

/** The bytes of one kind's document. */
export function encodeSettingsDocument<K extends SettingsKind>(
  kind: K,
  value: SettingsValues[K],
  entryFailures: readonly (SettingsFailure & { readonly entry: string })[] = [],
): Uint8Array {
  const document: SettingsDocument<K> = {
    format: SETTINGS_DOCUMENT_FORMAT,
    v: SETTINGS_FORMAT_VERSION,
    kind,
    value,
    entryFailures: entryFailures.map(storedFailure),
  };
  return new TextEncoder().encode(canonicalJson(document));
}

export function storedFailure<F extends SettingsFailure & { readonly entry?: string }>(
  failure: F,
): StoredFailure & { readonly entry: string } {
  return {
    ...(failure.entry === undefined ? {} : { entry: failure.entry }),
    code: failure.code,
    message: failure.message,
    ...(failure.responseCode === undefined ? {} : { responseCode: failure.responseCode }),
  } as StoredFailure & { readonly entry: string };
}

function invalid(what: string): EwsVaultError {
  return new EwsVaultError("SETTINGS_DOCUMENT_INVALID", `settings ${what}`);
}

/**
 * Parses one kind's document. MUST throw SETTINGS_DOCUMENT_INVALID for bytes that are not a
 * settings document of `kind` and of a version this code reads.
 */
export function decodeSettingsDocument<K extends SettingsKind>(
  kind: K,
  bytes: Uint8Array,
): SettingsDocument<K> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw new EwsVaultError("SETTINGS_DOCUMENT_INVALID", `settings document of ${kind} is not JSON`, {
      cause: error,
    });
  }
  const document = parsed as Partial<SettingsDocument<K>> | null;
  if (document === null || typeof document !== "object" || document.format !== SETTINGS_DOCUMENT_FORMAT)
    throw invalid(`document of ${kind} is not a settings document`);
  if (document.v !== SETTINGS_FORMAT_VERSION)
    throw invalid(`document version ${String(document.v)} is not supported`);
  if (document.kind !== kind) throw invalid(`document of ${String(document.kind)} stored as ${kind}`);
  if (document.value === undefined || document.value === null || typeof document.value !== "object")
    throw invalid(`document of ${kind} has no value`);
  if (!Array.isArray(document.entryFailures)) throw invalid(`document of ${kind} lacks entryFailures`);
  return document as SettingsDocument<K>;
}

/** Reads and checks a settings tree (SETTINGS_DOCUMENT_INVALID when it is not one of this version). */
export async function loadSettingsTree(repository: SnapshotTreeReader, id: string): Promise<SettingsTree> {
  const tree = (await repository.loadTree(id)) as Partial<SettingsTree> | null;
  if (tree?.kind !== "settings" || tree.kinds === null || typeof tree.kinds !== "object")
    throw invalid("tree is malformed");
  if (tree.v !== SETTINGS_FORMAT_VERSION) throw invalid(`tree version ${String(tree.v)} is not supported`);
  for (const [kind, ref] of Object.entries(tree.kinds)) {
    if (!SETTINGS_KINDS.includes(kind as SettingsKind)) throw invalid(`tree names an unknown kind ${kind}`);
    const ok = ref !== null && typeof ref === "object";
    const documents =
      ok && "documents" in ref && Array.isArray(ref.documents) && Array.isArray(ref.entryFailures);
    if (!ok || !(("content" in ref && Array.isArray(ref.content)) || documents || "failure" in ref))
      throw invalid(`tree's ${kind} entry is malformed`);
  }
  return tree as SettingsTree;
}

/** A stored failure as the port's SettingsFailure (an unknown code is kept as EWS_SERVER_ERROR). */
export function toSettingsFailure(failure: StoredFailure): SettingsFailure {
  return {
    code: isErrorCode(failure.code) ? failure.code : "EWS_SERVER_ERROR",
    message: failure.message,
    ...(failure.responseCode === undefined ? {} : { responseCode: failure.responseCode }),
  };
}
