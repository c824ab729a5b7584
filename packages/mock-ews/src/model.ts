// The item and folder model shared by the generator (which invents mailboxes) and the server
// (which stores and serves them). Plain data only: the server turns it into EWS XML and into
// the ExportItems property stream.

export type MockItemClass =
  | "IPM.Note"
  | "IPM.Appointment"
  | "IPM.Contact"
  | "IPM.Task"
  | "IPM.StickyNote"
  | "IPM.Post"
  | MockAssociatedItemClass;

/**
 * Classes of the folder-associated items (FAI) Outlook and OWA keep in Inbox and Calendar: rules,
 * named views, configuration objects (generator/associated-items.ts seeds them, by default).
 */
export type MockAssociatedItemClass =
  | "IPM.Rule.Version2.Message"
  | "IPM.ExtendedRule.Message"
  | "IPM.Microsoft.FolderDesign.NamedView"
  | MockConfigurationItemClass;

/**
 * A configuration object (MS-OXOCFG) of any name: the FAI GetUserConfiguration and its siblings
 * read and write (store/configuration-items.ts).
 */
export type MockConfigurationItemClass = `IPM.Configuration.${string}`;

/** The FAI classes the generator seeds (configuration objects may have any other name too). */
export const MOCK_ASSOCIATED_ITEM_CLASSES: readonly MockAssociatedItemClass[] = [
  "IPM.Rule.Version2.Message",
  "IPM.ExtendedRule.Message",
  "IPM.Microsoft.FolderDesign.NamedView",
  "IPM.Configuration.CategoryList",
  "IPM.Configuration.WorkHours",
  "IPM.Configuration.Calendar",
];

export type MockFolderClass =
  | "IPF.Note"
  | "IPF.Appointment"
  | "IPF.Contact"
  | "IPF.Task"
  | "IPF.StickyNote"
  | "IPF.Post";

export interface MockMailAddress {
  readonly name: string;
  readonly email: string;
}

export interface MockAttachment {
  readonly name: string;
  readonly contentType: string;
  readonly contentId?: string;
  readonly isInline: boolean;
  /** True for a contact's photo (EWS IsContactPhoto). */
  readonly isContactPhoto?: boolean;
  /** ISO 8601. */
  readonly lastModifiedTime: string;
  readonly content: Uint8Array;
}

/**
 * A MAPI property set through EWS (ExtendedProperty / ExtendedFieldURI) that has no first-class
 * field in this model. Addressed by a tag, or by a property set GUID (lower case; distinguished
 * sets are stored as their GUID) with a numeric id or a name.
 */
export interface MockExtendedProperty {
  readonly propertyTag?: number;
  readonly propertySetId?: string;
  readonly propertyId?: number;
  readonly propertyName?: string;
  /** EWS MapiPropertyTypeType, e.g. "String", "Integer", "StringArray". */
  readonly propertyType: string;
  /** The values as EWS writes them (one for single-valued types). */
  readonly values: readonly string[];
}

/**
 * EWS MapiPropertyTypeType: the values MockExtendedProperty.propertyType may take (the export
 * stream and ExtendedFieldURI parsing both check against this one list).
 */
export const MAPI_PROPERTY_TYPES: readonly string[] = [
  "ApplicationTime",
  "ApplicationTimeArray",
  "Binary",
  "BinaryArray",
  "Boolean",
  "CLSID",
  "CLSIDArray",
  "Currency",
  "CurrencyArray",
  "Double",
  "DoubleArray",
  "Error",
  "Float",
  "FloatArray",
  "Integer",
  "IntegerArray",
  "Long",
  "LongArray",
  "Null",
  "Object",
  "ObjectArray",
  "Short",
  "ShortArray",
  "SystemTime",
  "SystemTimeArray",
  "String",
  "StringArray",
];

/** An attached item (EWS ItemAttachment): a message, calendar item, contact... embedded in its parent. */
export interface MockItemAttachment {
  readonly name: string;
  readonly isInline: boolean;
  /** ISO 8601. */
  readonly lastModifiedTime: string;
  readonly item: MockItemData;
}

/** A changed occurrence of a recurring series (EWS Exception). */
export interface MockOccurrenceException {
  /** ISO 8601 start of the occurrence this replaces (its OriginalStart). */
  readonly originalStart: string;
  readonly start: string;
  readonly end: string;
  readonly subject?: string;
  readonly location?: string;
}

export interface MockPhysicalAddress {
  readonly street?: string;
  readonly city?: string;
  readonly state?: string;
  readonly countryOrRegion?: string;
  readonly postalCode?: string;
}

/** EWS MonthNamesType: the values of MockRecurrence.month, January first. */
export const MONTH_NAMES = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
] as const;

export interface MockRecurrence {
  readonly pattern: "Daily" | "Weekly" | "AbsoluteMonthly" | "AbsoluteYearly";
  readonly interval: number;
  /** For Weekly: e.g. ["Monday", "Wednesday"]. */
  readonly daysOfWeek?: readonly string[];
  /** For AbsoluteMonthly / AbsoluteYearly. */
  readonly dayOfMonth?: number;
  /** One of MONTH_NAMES. */
  readonly month?: string;
  /**
   * Set for the relative patterns (EWS RelativeMonthly / RelativeYearly): the occurrence is the
   * Nth of `daysOfWeek` (which may also be Day, Weekday or WeekendDay) in the month instead of
   * `dayOfMonth`. Never generated; kept off `pattern` so the export codec's table is unchanged.
   */
  readonly dayOfWeekIndex?: "First" | "Second" | "Third" | "Fourth" | "Last";
  /** yyyy-mm-dd. */
  readonly startDate: string;
  /** Either a count or an end date; neither means no end. */
  readonly numberOfOccurrences?: number;
  readonly endDate?: string;
}

export interface MockCalendarFields {
  readonly start: string;
  readonly end: string;
  readonly isAllDayEvent: boolean;
  readonly location: string;
  readonly organizer: MockMailAddress;
  readonly requiredAttendees: readonly MockMailAddress[];
  readonly optionalAttendees: readonly MockMailAddress[];
  readonly recurrence?: MockRecurrence;
  /** Original starts (ISO 8601) of occurrences deleted from the series. */
  readonly deletedOccurrences?: readonly string[];
  readonly modifiedOccurrences?: readonly MockOccurrenceException[];
  readonly legacyFreeBusyStatus: "Free" | "Tentative" | "Busy" | "OOF";
}

export interface MockContactFields {
  readonly givenName: string;
  readonly surname: string;
  readonly companyName: string;
  readonly jobTitle: string;
  readonly emailAddresses: readonly string[];
  readonly businessPhone?: string;
  readonly mobilePhone?: string;
  /** Phone numbers under every other PhoneNumberKeyType (HomePhone, BusinessFax, ...). */
  readonly phoneNumbers?: Readonly<Record<string, string>>;
  /** PhysicalAddresses by key: Home, Business, Other. */
  readonly physicalAddresses?: Readonly<Record<string, MockPhysicalAddress>>;
}

export interface MockTaskFields {
  readonly status: "NotStarted" | "InProgress" | "Completed" | "WaitingOnOthers" | "Deferred";
  readonly percentComplete: number;
  readonly startDate?: string;
  readonly dueDate?: string;
}

/** Everything the server needs to serve one item; generated deterministically or set through the API. */
export interface MockItemData {
  readonly itemClass: MockItemClass;
  readonly subject: string;
  readonly body: { readonly bodyType: "Text" | "HTML"; readonly content: string };
  readonly from?: MockMailAddress;
  readonly toRecipients: readonly MockMailAddress[];
  readonly ccRecipients: readonly MockMailAddress[];
  readonly bccRecipients: readonly MockMailAddress[];
  /** ISO 8601 (UTC, "Z"). */
  readonly dateTimeReceived: string;
  readonly dateTimeSent: string;
  readonly dateTimeCreated: string;
  readonly importance: "Low" | "Normal" | "High";
  readonly sensitivity: "Normal" | "Personal" | "Private" | "Confidential";
  readonly categories: readonly string[];
  readonly isRead: boolean;
  readonly flagStatus: "NotFlagged" | "Flagged" | "Complete";
  /** Mail and posts: "<...@...>". */
  readonly internetMessageId?: string;
  readonly attachments: readonly MockAttachment[];
  /** Attached items (never generated; created through CreateItem / CreateAttachment). */
  readonly itemAttachments?: readonly MockItemAttachment[];
  /** MAPI properties set through EWS that no first-class field holds (never generated). */
  readonly extendedProperties?: readonly MockExtendedProperty[];
  readonly calendar?: MockCalendarFields;
  readonly contact?: MockContactFields;
  readonly task?: MockTaskFields;
}

export interface MockFolderSpec {
  /** Display-name path below the mailbox's msgfolderroot (or below publicfoldersroot for public folders). */
  readonly path: readonly string[];
  readonly folderClass: MockFolderClass;
  /** Set for a distinguished folder (inbox, calendar, ...), whose path is its usual English name. */
  readonly distinguishedName?: string;
}

export interface MockMailboxSpec {
  readonly smtpAddress: string;
  readonly displayName: string;
  readonly hasArchive: boolean;
}

/**
 * A deterministic, lazy source of mailboxes. Same options, same output, byte for byte; nothing
 * is materialised until asked for, so 50 mailboxes x 10,000 items cost no memory up front.
 */
export interface MailboxGenerator {
  readonly seed: number;
  mailboxes(): readonly MockMailboxSpec[];
  /** Folders of one mailbox, parents before children (distinguished folders included). */
  folders(mailboxIndex: number): readonly MockFolderSpec[];
  /** Number of items generated into folders(mailboxIndex)[folderIndex]. */
  itemCount(mailboxIndex: number, folderIndex: number): number;
  /**
   * One item: recomputed on every call, unless the generator was created with `cacheBytes`, in
   * which case recently generated items may be returned from a bounded cache. The top-level
   * object is always fresh, but nested values (body, recipients, attachments) may be shared
   * with other callers: callers MUST NOT modify them in place.
   */
  item(mailboxIndex: number, folderIndex: number, itemIndex: number): MockItemData;
  /** The public folder tree shared by every mailbox, and its items. */
  publicFolders(): readonly MockFolderSpec[];
  publicItemCount(folderIndex: number): number;
  publicItem(folderIndex: number, itemIndex: number): MockItemData;
}
