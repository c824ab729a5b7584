// Mailbox settings: what makes a mailbox work besides its items (inbox rules, out-of-office,
// folder permissions, delegates, user configuration objects). Plain, JSON-serialisable data,
// lossless enough to recreate each setting in another mailbox, so the engine can store it as a
// versioned document. Reading and writing are optional capabilities of a source / target:
// a source declares the kinds it reads in SourceCapabilities.settingsKinds and implements
// getSettings; a target implements applySettings. A source without them still works.
import type { ErrorCode } from "../error-codes.js";

/** The kinds of settings, in the order a restore applies them (folders' permissions before delegates). */
export type SettingsKind = "inboxRules" | "oof" | "folderPermissions" | "delegates" | "userConfigurations";

// ---- Inbox rules (EWS RuleType) ----

/** An address of a rule predicate or action (EWS EmailAddressType). */
export interface RuleAddress {
  readonly emailAddress: string;
  readonly name?: string;
  readonly routingType?: string;
}

/**
 * The value of one predicate or action, by the EWS element's type: string lists (Categories,
 * Contains*Strings, ItemClasses, AssignCategories), address lists (FromAddresses,
 * SentToAddresses, ForwardToRecipients, ...), booleans (HasAttachments, Delete, ...), choices
 * (Importance, Sensitivity, FlaggedForAction, MarkImportance), a target folder (MoveToFolder,
 * CopyToFolder: a folder id, or a distinguished folder name), an item (ServerReplyWithMessage),
 * a date range (WithinDateRange) and a size range in KB (WithinSizeRange).
 */
export type RuleValue =
  | { readonly strings: readonly string[] }
  | { readonly addresses: readonly RuleAddress[] }
  | { readonly boolean: boolean }
  | { readonly choice: string }
  | { readonly folderId: string; readonly distinguished?: boolean }
  | { readonly itemId: string; readonly changeKey?: string }
  | { readonly dateRange: { readonly start?: string; readonly end?: string } }
  | { readonly sizeRange: { readonly minimumSize?: number; readonly maximumSize?: number } };

/** Predicates (conditions, exceptions) or actions keyed by EWS element name ("FromAddresses", "MoveToFolder"). */
export type RuleParts = Readonly<Record<string, RuleValue>>;

export interface InboxRule {
  /** The server's id; informational only (a restore creates new rules, the server assigns ids). */
  readonly ruleId?: string;
  readonly displayName: string;
  /** 1-based position in the rule order. */
  readonly priority: number;
  readonly isEnabled: boolean;
  /** The server cannot show or edit the rule over EWS (a client-only Outlook rule). */
  readonly isNotSupported?: boolean;
  readonly isInError?: boolean;
  readonly conditions: RuleParts;
  readonly exceptions: RuleParts;
  readonly actions: RuleParts;
}

// ---- Out-of-office (EWS UserOofSettings) ----

export interface OofReply {
  readonly message: string;
  /** xml:lang of the reply. */
  readonly lang?: string;
}

export interface OofSettings {
  readonly state: "Disabled" | "Enabled" | "Scheduled";
  readonly externalAudience: "None" | "Known" | "All";
  /** The scheduled window (ISO 8601); servers keep it whatever the state. */
  readonly duration?: { readonly start: string; readonly end: string };
  readonly internalReply: OofReply;
  readonly externalReply: OofReply;
}

// ---- Folder permissions (EWS PermissionSet / CalendarPermissionSet) ----

/** Whom a permission entry or delegate names (EWS UserIdType). */
export interface PrincipalId {
  readonly distinguishedUser?: "Default" | "Anonymous";
  readonly primarySmtpAddress?: string;
  readonly sid?: string;
  readonly displayName?: string;
  readonly externalUserIdentity?: string;
}

export interface FolderPermission {
  readonly user: PrincipalId;
  /** PermissionLevel, or CalendarPermissionLevel on calendar folders ("Reviewer", "FreeBusyTimeOnly", "Custom", ...). */
  readonly level: string;
  readonly canCreateItems?: boolean;
  readonly canCreateSubFolders?: boolean;
  readonly isFolderOwner?: boolean;
  readonly isFolderVisible?: boolean;
  readonly isFolderContact?: boolean;
  /** "None" | "Owned" | "All". */
  readonly editItems?: string;
  readonly deleteItems?: string;
  /** "None" | "FullDetails", on calendars also "TimeOnly" | "TimeAndSubjectAndLocation". */
  readonly readItems?: string;
}

export interface FolderPermissionSet {
  /** The folder id as the caller named it (getSettings' folderIds). */
  readonly folderId: string;
  /** True for a CalendarPermissionSet (calendar folders), false for a PermissionSet. */
  readonly calendar: boolean;
  /** Every entry, Default and Anonymous included, in the server's order. */
  readonly permissions: readonly FolderPermission[];
  /** Entries the server could not resolve (t:UnknownEntries); informational, not restored. */
  readonly unknownEntries?: readonly string[];
}

// ---- Delegates (EWS DelegateUserType) ----

export type DelegateFolder = "Calendar" | "Tasks" | "Inbox" | "Contacts" | "Notes" | "Journal";

export interface DelegateUser {
  readonly user: PrincipalId;
  /** Level per folder: "None" | "Reviewer" | "Author" | "Editor" | "Custom". Absent folders: None. */
  readonly permissions: Readonly<Partial<Record<DelegateFolder, string>>>;
  readonly receiveCopiesOfMeetingMessages?: boolean;
  readonly viewPrivateItems?: boolean;
}

export interface Delegates {
  /** "DelegatesOnly" | "DelegatesAndMe" | "DelegatesAndSendInformationToMe" | "NoForward". */
  readonly deliverMeetingRequests?: string;
  readonly users: readonly DelegateUser[];
}

// ---- User configurations (EWS UserConfigurationType) ----

/** A typed dictionary key or value: Type is one of EWS's ten (String, Integer32, ByteArray, ...). */
export interface DictionaryObject {
  readonly type: string;
  /** Values as the server wrote them (one, several for StringArray; ByteArray base64). */
  readonly values: readonly string[];
}

export interface UserConfiguration {
  /** The folder: a distinguished folder name ("calendar", "root", ...) or a folder id. */
  readonly folderId: string;
  readonly name: string;
  readonly dictionary?: readonly {
    readonly key: DictionaryObject;
    readonly value: DictionaryObject | null;
  }[];
  /** XmlData, base64 as on the wire (the UTF-8 XML document). */
  readonly xmlData?: string;
  /** BinaryData, base64. */
  readonly binaryData?: string;
}

// ---- The port ----

/** The value of each kind. */
export interface SettingsValues {
  readonly inboxRules: readonly InboxRule[];
  readonly oof: OofSettings;
  readonly folderPermissions: readonly FolderPermissionSet[];
  readonly delegates: Delegates;
  readonly userConfigurations: readonly UserConfiguration[];
}

/** A failure of one kind or one entry of a kind. */
export interface SettingsFailure {
  /** EWS_OPERATION_UNSUPPORTED, EWS_ACCESS_DENIED, EWS_FOLDER_NOT_FOUND, EWS_SERVER_ERROR, ... */
  readonly code: ErrorCode;
  readonly message: string;
  /** The server's ResponseCode, when it gave one. */
  readonly responseCode?: string;
}

export type SettingsResult<T> =
  | {
      readonly ok: true;
      readonly value: T;
      /** Entries that could not be read (a folder of folderIds gone, ...), keyed by entry. */
      readonly entryFailures?: readonly (SettingsFailure & { readonly entry: string })[];
    }
  | ({ readonly ok: false } & SettingsFailure);

/** What getSettings returns: one result per requested kind. */
export type MailboxSettingsRead = { readonly [K in SettingsKind]?: SettingsResult<SettingsValues[K]> };

export interface GetSettingsOptions {
  /** Folders whose permissions to read (folderPermissions only); ids or distinguished names. */
  readonly folderIds?: readonly string[];
  readonly signal?: AbortSignal;
}

export interface ApplySettingsOptions {
  /** Source folder id -> target folder id (rule targets, permission folders, configuration folders). */
  readonly folderIdMap?: ReadonlyMap<string, string>;
  /** Source SMTP address (lower-case) -> target SMTP address (permissions, delegates, rule addresses). */
  readonly principalMap?: ReadonlyMap<string, string>;
  readonly signal?: AbortSignal;
}

/** One entry of a kind written (a rule, a folder's permissions, a delegate, a configuration). */
export interface SettingsEntryReport {
  readonly entry: string;
  readonly ok: boolean;
  readonly failure?: SettingsFailure;
}

export interface SettingsKindReport {
  /** False when the kind failed as a whole (failure says why); entries may still list what was tried. */
  readonly ok: boolean;
  readonly failure?: SettingsFailure;
  readonly entries: readonly SettingsEntryReport[];
}

export type SettingsApplyReport = { readonly [K in SettingsKind]?: SettingsKindReport };

/**
 * Optional settings reader of a MailboxSource. Contract:
 * - getSettings returns one result per requested kind (kinds not asked: absent). A kind the
 *   server does not offer (an older Exchange: ErrorInvalidOperation, ErrorInvalidServerVersion
 *   or the operation unknown to its schema) MUST be `{ ok: false, code: "EWS_OPERATION_UNSUPPORTED" }`,
 *   one it refuses (ErrorAccessDenied) `{ ok: false, code: "EWS_ACCESS_DENIED" }`, any other
 *   failure of that kind `{ ok: false }` with its code; the other kinds are still read. The call
 *   rejects only for what stops the whole mailbox: EWS_ABORTED, EWS_MAILBOX_NOT_FOUND,
 *   EWS_AUTH_FAILED, EWS_IMPERSONATION_DENIED.
 * - A kind not in capabilities.settingsKinds: EWS_OPERATION_UNSUPPORTED result.
 * - folderPermissions covers exactly the folders of options.folderIds (none when absent); a
 *   folder that cannot be read is an entryFailure, not a failure of the kind.
 * - userConfigurations finds the objects by listing (the source's choice how), each with all
 *   its parts (dictionary, XML, binary data).
 * - Values are lossless: applying them to an empty mailbox and reading back gives equal values
 *   (rule ids and server-generated SIDs/display names aside).
 */
export interface MailboxSettingsSource {
  getSettings?(
    mailbox: string,
    kinds: readonly SettingsKind[],
    options?: GetSettingsOptions,
  ): Promise<MailboxSettingsRead>;
}

/**
 * Optional settings writer of a MailboxTarget. Contract:
 * - applySettings writes each kind present in `settings` and returns one report per kind, with
 *   the same per-kind failure rule as getSettings (never a rejection for one kind's failure).
 * - inboxRules replaces the mailbox's rules by the given ones, in priority order, enabled state
 *   kept; rule folders are mapped through folderIdMap (a rule whose folder is not in a given
 *   map is reported, not created). oof replaces the OOF settings. folderPermissions replaces
 *   each listed folder's permission set (folder mapped). delegates adds or updates each
 *   listed delegate (others are left). userConfigurations creates or updates each object.
 * - Addresses are mapped through principalMap when it has them.
 */
export interface MailboxSettingsTarget {
  applySettings?(
    mailbox: string,
    settings: Partial<SettingsValues>,
    options?: ApplySettingsOptions,
  ): Promise<SettingsApplyReport>;
}
