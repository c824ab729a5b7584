// Mailbox settings that live beside the items: inbox rules, out-of-office (OOF) settings and
// delegates: their records, here. Kept per mailbox beside the store (like the directory) by
// mailbox-settings.ts (settingsOf), seeded on first use from the store's seed through
// generator/settings-generator.ts, which draws from its own PRNG stream so the item generator's
// sequence — and every generated item byte — is untouched. The EWS operations
// (operations/inbox-rules.ts, oof.ts, delegates.ts) and the in-process API (src/index.ts) read
// and change the same records. User configuration objects are items, as in Exchange
// (user-configurations.ts); their shape as EWS shows them (UserConfiguration) is here with the
// other settings' records.

/** An e-mail address in a rule (ArrayOfEmailAddressesType entry). */
export interface RuleAddress {
  readonly address: string;
  readonly name?: string;
}

/**
 * A value of a rule predicate or action, by the EWS element's kind: a string list (Categories,
 * Contains*Strings, AssignCategories, ItemClasses), an address list (FromAddresses, SentToAddresses,
 * ForwardToRecipients, RedirectToRecipients, ...), a boolean (HasAttachments, Delete,
 * StopProcessingRules, ...), a choice or id string (Importance, Sensitivity, FlaggedForAction,
 * MarkImportance; the folder id of MoveToFolder / CopyToFolder; the item id of
 * ServerReplyWithMessage), or a range (WithinDateRange: start/end; WithinSizeRange: min/max KB).
 */
export type RuleValue =
  | readonly string[]
  | readonly RuleAddress[]
  | boolean
  | string
  | { readonly start?: string; readonly end?: string }
  | { readonly min?: number; readonly max?: number };

/** Predicates or actions keyed by their EWS element name (e.g. "ContainsSubjectStrings", "MoveToFolder"). */
export type RuleParts = Readonly<Record<string, RuleValue>>;

export interface InboxRule {
  /** Exchange's rule id (base64); assigned by the server. */
  readonly id: string;
  readonly displayName: string;
  /** 1-based position in the rule order (kept dense: 1..n). */
  readonly priority: number;
  readonly isEnabled: boolean;
  readonly conditions: RuleParts;
  readonly exceptions: RuleParts;
  readonly actions: RuleParts;
}

export type OofState = "Disabled" | "Enabled" | "Scheduled";
export type OofAudience = "None" | "Known" | "All";

export interface OofSettings {
  readonly state: OofState;
  readonly externalAudience: OofAudience;
  /** The scheduled window (kept, and shown, whatever the state, as Exchange does). */
  readonly start: string;
  readonly end: string;
  readonly internalReply: string;
  readonly externalReply: string;
}

export type DelegateFolder = "Calendar" | "Tasks" | "Inbox" | "Contacts" | "Notes" | "Journal";
export type DelegateLevel = "None" | "Reviewer" | "Author" | "Editor" | "Custom";
export const DELEGATE_FOLDERS: readonly DelegateFolder[] = [
  "Calendar",
  "Tasks",
  "Inbox",
  "Contacts",
  "Notes",
  "Journal",
];

export interface Delegate {
  readonly smtpAddress: string;
  readonly displayName: string;
  readonly permissions: Readonly<Record<DelegateFolder, DelegateLevel>>;
  readonly receiveCopiesOfMeetingMessages: boolean;
  readonly viewPrivateItems: boolean;
}

export type DeliverMeetingRequests =
  | "DelegatesOnly"
  | "DelegatesAndMe"
  | "DelegatesAndSendInformationToMe"
  | "NoForward";

/** One typed value of a configuration dictionary (UserConfigurationDictionaryObjectType). */
export interface DictionaryObject {
  /** DateTime, Boolean, Byte, String, Integer32, UnsignedInteger32, Integer64, UnsignedInteger64, StringArray, ByteArray. */
  readonly type: string;
  readonly values: readonly string[];
}

export interface DictionaryEntry {
  readonly key: DictionaryObject;
  /** null: the entry's value is nil. */
  readonly value: DictionaryObject | null;
}

/** A configuration object as EWS shows it (UserConfigurationType without its ItemId). */
export interface UserConfiguration {
  /** e.g. "CategoryList" (stored as the FAI item IPM.Configuration.CategoryList). */
  readonly name: string;
  /** Id of the folder it belongs to. */
  readonly folderId: string;
  readonly dictionary?: readonly DictionaryEntry[];
  /** Base64 of the XML document (the category list's <categories> document). */
  readonly xmlData?: string;
  /** Base64. */
  readonly binaryData?: string;
}

export interface MailboxSettings {
  rules: InboxRule[];
  nextRuleNumber: number;
  oof: OofSettings;
  delegates: Delegate[];
  deliverMeetingRequests: DeliverMeetingRequests;
}

/** A new rule id in Exchange's shape (base64 of 8 bytes: version 1, then a counter). */
export function newRuleId(settings: MailboxSettings): string {
  const bytes = Buffer.alloc(8);
  bytes.writeUInt32LE(1, 0);
  bytes.writeUInt32LE(settings.nextRuleNumber++, 4);
  return bytes.toString("base64");
}

/** Puts `rule` at its priority (clamped) and renumbers all rules 1..n. */
export function placeRule(settings: MailboxSettings, rule: InboxRule): void {
  const rest = settings.rules.filter((r) => r.id !== rule.id);
  const at = Math.min(Math.max(rule.priority, 1), rest.length + 1) - 1;
  rest.splice(at, 0, rule);
  settings.rules = rest.map((r, index) => ({ ...r, priority: index + 1 }));
}
