// What every item renderer shares: the shape a request asks for, the context an item is
// rendered in, the property table entry (Prop) and the small XML helpers for people.
import type { MockItemData, MockMailAddress } from "../model.js";
import type { ExtendedUri } from "../operations/extended-properties.js";
import type { IndexedRequest } from "../operations/indexed-properties.js";
import type { Store } from "../store/mailbox-store.js";
import type { ItemRecord } from "../store/records.js";
import { el } from "../xml.js";

export interface ItemShape {
  readonly base: "IdOnly" | "Default" | "AllProperties";
  /** Lower-cased FieldURI values from AdditionalProperties. */
  readonly additional: ReadonlySet<string>;
  /** IndexedFieldURI requests (contact phone numbers, e-mail and postal addresses). */
  readonly indexed: readonly IndexedRequest[];
  readonly extended: readonly ExtendedUri[];
  readonly includeMime: boolean;
  readonly bodyType: "Best" | "Text" | "HTML";
}

export const SERIES_PARTS = [
  "FirstOccurrence",
  "LastOccurrence",
  "ModifiedOccurrences",
  "DeletedOccurrences",
] as const;

export type SeriesPart = (typeof SERIES_PARTS)[number];

export interface RenderContext {
  readonly store: Store;
  readonly record: ItemRecord;
  readonly data: MockItemData;
  /** Present when the shape asks for MimeContent. */
  readonly mime: (() => string) | undefined;
  /** "find" for FindItem/Sync views (no bodies, as Exchange), "get" for GetItem and friends. */
  readonly mode: "get" | "find";
  /** An item embedded in an attachment: no ItemId and no ParentFolderId, as Exchange serves it. */
  readonly embedded?: boolean;
  /** Set when serving one occurrence (or exception) of a recurring master. */
  readonly occurrence?: {
    readonly id: string;
    readonly type: "Occurrence" | "Exception";
    readonly originalStart: string;
  };
  /** A recurring master's FirstOccurrence ... DeletedOccurrences elements. */
  readonly seriesXml?: (part: SeriesPart) => string;
}

export interface Prop {
  readonly uri: string;
  /** Part of the Default shape. */
  readonly def: boolean;
  /** Not part of AllProperties (only when asked for by name). */
  readonly onlyByName?: boolean;
  /** Also wanted when some of its entries are asked for by IndexedFieldURI. */
  readonly byIndex?: (shape: ItemShape) => boolean;
  readonly render: (c: PropContext) => string;
}

export type PropContext = RenderContext & { readonly shape: ItemShape };

export function isoSeconds(iso: string): string {
  return iso.replace(/\.\d{3}Z$/, "Z");
}

export function mailbox(a: MockMailAddress): string {
  return `<t:Mailbox>${el("t:Name", a.name)}${a.email === "" ? "" : el("t:EmailAddress", a.email)}<t:RoutingType>SMTP</t:RoutingType><t:MailboxType>Mailbox</t:MailboxType></t:Mailbox>`;
}

export function recipients(tag: string, list: readonly MockMailAddress[]): string {
  return list.length === 0 ? "" : `<t:${tag}>${list.map(mailbox).join("")}</t:${tag}>`;
}

export function attendees(tag: string, list: readonly MockMailAddress[]): string {
  if (list.length === 0) return "";
  return `<t:${tag}>${list.map((a) => `<t:Attendee>${mailbox(a)}<t:ResponseType>Unknown</t:ResponseType></t:Attendee>`).join("")}</t:${tag}>`;
}

/** Whether a whole indexed collection is wanted (by its own URI or the base shape), not just entries. */
export function wantedWhole(c: PropContext, uri: string): boolean {
  return c.shape.additional.has(uri) || c.shape.base === "AllProperties" || c.shape.base === "Default";
}
