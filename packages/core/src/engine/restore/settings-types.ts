// The public contract of reading and restoring a snapshot's mailbox settings (inbox rules, OOF,
// folder permissions, delegates, user configurations; see docs/settings-document.md): options,
// events and reports of readSnapshotSettings() and restoreSettings(). The CLI (`ewsvault ls
// --settings`, `ewsvault restore --settings`) and embedding products build on these types only.

import type { SettingsFailure, SettingsKind, SettingsValues } from "@ewsvault/mailbox";
import type { EngineRepository } from "../repository-port.js";
import type { RestoreOptions } from "../types.js";

// ---- What a snapshot holds ----

/** One kind as a snapshot stores it: its value, or why the backup could not read it. */
export type StoredSettingsKind<K extends SettingsKind = SettingsKind> =
  | {
      readonly ok: true;
      readonly value: SettingsValues[K];
      /** Entries the backup could not read (a folder's permissions, ...), keyed by entry. */
      readonly entryFailures: readonly (SettingsFailure & { readonly entry: string })[];
    }
  | ({ readonly ok: false } & SettingsFailure);

export type StoredSettings = { readonly [K in SettingsKind]?: StoredSettingsKind<K> };

export interface SnapshotSettings {
  readonly snapshotId: string;
  readonly mailbox: string;
  /**
   * False when the snapshot holds no settings at all: written before settings were backed up,
   * with the engine option `settings: false`, or from a source that reads none.
   */
  readonly present: boolean;
  /** Per kind the backup asked for. Kinds it did not ask for are absent. */
  readonly kinds: StoredSettings;
  /**
   * With `withFolderPaths`: the snapshot's folder id -> '/'-joined display-name path, to show
   * the folders settings name (rule targets, permission folders) by path.
   */
  readonly folderPaths?: Readonly<Record<string, string>>;
}

export interface ReadSnapshotSettingsOptions {
  readonly repository: Pick<
    EngineRepository,
    "loadSnapshot" | "listSnapshots" | "findSnapshot" | "loadTree" | "loadData"
  >;
  /** Mailbox whose snapshot is read. */
  readonly mailbox: string;
  /** Snapshot id, "latest" (default), or the latest at or before a time (as restore()). */
  readonly snapshot?: string | Date;
  /** Snapshot group for "latest" and a time (as restore()). */
  readonly group?: string;
  /** Kinds to load; default every stored kind. */
  readonly kinds?: readonly SettingsKind[];
  /** Also list the snapshot's folder paths (reads every folder tree); default false. */
  readonly withFolderPaths?: boolean;
  readonly signal?: AbortSignal;
}

// ---- Restoring ----

/** Which snapshot of which mailbox goes into which target mailbox: as restore() says it. */
export interface RestoreSettingsOptions
  extends Pick<RestoreOptions, "repository" | "target" | "mailbox" | "snapshot" | "group" | "toMailbox"> {
  /** Kinds to restore; default every kind the snapshot stores. */
  readonly kinds?: readonly SettingsKind[];
  /**
   * Only the user configurations of these names (case-insensitive: the CLI maps `categories` to
   * ["CategoryList"]); default all. Applies to the userConfigurations kind only.
   */
  readonly userConfigurationNames?: readonly string[];
  /**
   * Principals of another mailbox or organisation: lower-case SMTP address as backed up -> SMTP
   * address to write. When given, every principal (permission users other than Default and
   * Anonymous, delegates, rule addresses of predicates and actions) is mapped, and one not in
   * the map is left out of what is written and reported (SETTINGS_PRINCIPAL_UNMAPPED), never
   * silently dropped. Absent: principals are written as stored.
   */
  readonly principalMap?: ReadonlyMap<string, string>;
  /**
   * Write nothing (no settings, no folders created) and return the report of what would be
   * written; when the target can read settings (getSettings), entries equal to the target's
   * current ones are reported "unchanged".
   */
  readonly dryRun?: boolean;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: SettingsRestoreEvent) => void;
}

/**
 * What happened (or, in a dry run, would happen) to one entry:
 * - written: applied to the target;
 * - would-write: dry run, differs from the target's current value (or the target cannot be read);
 * - unchanged: dry run, equal to the target's current value;
 * - skipped: not written, `code` says why (SETTINGS_FOLDER_UNMAPPED, ...);
 * - failed: the target refused it (`code` is the target's).
 */
export type SettingsEntryStatus = "written" | "would-write" | "unchanged" | "skipped" | "failed";

export interface SettingsEntryRestoreReport {
  /**
   * The entry: "rule:<priority>:<name>", "oof", "permissions:<folder path>",
   * "delegate:<address>", "delegates:options", "configuration:<folder path>/<name>".
   */
  readonly entry: string;
  readonly status: SettingsEntryStatus;
  readonly code?: string;
  readonly message?: string;
}

/** A principal a principalMap did not name, left out of the entry it appeared in. */
export interface UnmappedPrincipal {
  readonly kind: SettingsKind;
  readonly entry: string;
  /** Where it appeared: "permission", "delegate", or the rule part ("FromAddresses", "ForwardToRecipients"). */
  readonly field: string;
  /** The address as stored (lower-case), or the SID / external identity of a principal without one. */
  readonly address: string;
  readonly code: "SETTINGS_PRINCIPAL_UNMAPPED";
}

export interface SettingsKindRestoreReport {
  /** False when the kind failed as a whole (failure says why, e.g. SETTINGS_NOT_STORED). */
  readonly ok: boolean;
  readonly failure?: { readonly code: string; readonly message: string; readonly responseCode?: string };
  readonly entries: readonly SettingsEntryRestoreReport[];
}

export type SettingsRestoreEvent =
  | { readonly type: "settings-start"; readonly snapshotId: string; readonly kinds: readonly SettingsKind[] }
  | { readonly type: "settings-unmapped"; readonly principal: UnmappedPrincipal }
  | {
      readonly type: "settings-kind";
      readonly kind: SettingsKind;
      readonly report: SettingsKindRestoreReport;
    };

export interface SettingsRestoreReport {
  readonly snapshotId: string;
  readonly mailbox: string;
  readonly toMailbox: string;
  readonly dryRun: boolean;
  /**
   * False when the snapshot holds no settings at all (see SnapshotSettings.present). Always set
   * by restoreSettings; optional so reports built elsewhere (tests) need not name it.
   */
  readonly present?: boolean;
  readonly kinds: { readonly [K in SettingsKind]?: SettingsKindRestoreReport };
  /** Every principal left out for want of a mapping (principalMap given only). */
  readonly unmappedPrincipals: readonly UnmappedPrincipal[];
  /** Target folders created for folder references (0 in a dry run). */
  readonly foldersCreated: number;
  readonly durationMs: number;
}
