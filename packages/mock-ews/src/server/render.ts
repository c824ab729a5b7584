// Items as EWS XML. Each type's properties are listed in the order of its xs:sequence in
// types.xsd, with the shape (IdOnly / Default / AllProperties) they belong to, so a response
// never puts an element out of schema order: the shared ones in render-item-props.ts, the
// calendar, contact and task ones beside it. Folders are render-folder.ts.
import { type ExtendedUri, extendedPropertyXml, readExtended } from "../operations/extended-properties.js";
import { changeKey } from "../store/ids.js";
import type { Store } from "../store/mailbox-store.js";
import type { ItemRecord } from "../store/records.js";
import { esc } from "../xml.js";
import { itemSize } from "./render-attachments.js";
import type { ItemShape, Prop, PropContext, RenderContext } from "./render-base.js";
import { CALENDAR } from "./render-calendar.js";
import { CONTACT, TASK } from "./render-contact.js";
import { ITEM_HEAD, ITEM_TAIL, MESSAGE, POST } from "./render-item-props.js";

export {
  type ItemShape,
  isoSeconds,
  type RenderContext,
  SERIES_PARTS,
  type SeriesPart,
} from "./render-base.js";

export const NS_T = "http://schemas.microsoft.com/exchange/services/2006/types";
export const NS_M = "http://schemas.microsoft.com/exchange/services/2006/messages";

/** The EWS element an item class is served as (Exchange serves sticky notes as plain Item). */
export function itemElementName(itemClass: string): string {
  if (itemClass.startsWith("IPM.Appointment")) return "CalendarItem";
  if (itemClass.startsWith("IPM.Contact")) return "Contact";
  if (itemClass.startsWith("IPM.Task")) return "Task";
  if (itemClass.startsWith("IPM.Post")) return "PostItem";
  if (itemClass.startsWith("IPM.Note")) return "Message";
  return "Item";
}

function typeProps(element: string): Prop[] {
  switch (element) {
    case "Message":
      return MESSAGE;
    case "CalendarItem":
      return CALENDAR;
    case "Contact":
      return CONTACT;
    case "Task":
      return TASK;
    case "PostItem":
      return POST;
    default:
      return [];
  }
}

function wanted(p: Prop, shape: ItemShape): boolean {
  if (shape.additional.has(p.uri)) return true;
  if (p.byIndex?.(shape) === true) return true;
  if (shape.base === "AllProperties") return p.onlyByName !== true;
  if (shape.base === "Default") return p.def;
  return false;
}

export function itemIdXml(store: Store, record: ItemRecord): string {
  return `<t:ItemId Id="${esc(store.itemIdOf(record))}" ChangeKey="${esc(changeKey("item", record.folder.mailbox.guid, record.lastSeq))}"/>`;
}

/** The requested extended properties the item has, in request order (unset ones left out, as Exchange). */
function extendedXml(c: RenderContext, requests: readonly ExtendedUri[]): string {
  let out = "";
  for (const uri of requests) {
    const values = readExtended(c.data, uri, {
      size: () => itemSize(c.data),
      lastModifiedTime: c.record.lastModifiedTime,
      searchKey: () => c.store.searchKey(c.record),
    });
    if (values !== undefined) out += extendedPropertyXml(uri, values);
  }
  return out;
}

/** One item as its typed element (`<t:Message>...</t:Message>`), shaped as asked. */
export function renderItem(c: RenderContext, shape: ItemShape): string {
  const element = itemElementName(c.data.itemClass);
  const ctx: PropContext = { ...c, shape };
  let out = `<t:${element}>`;
  if (c.mime !== undefined && (shape.includeMime || shape.additional.has("item:mimecontent"))) {
    out += `<t:MimeContent CharacterSet="UTF-8">${Buffer.from(c.mime(), "utf8").toString("base64")}</t:MimeContent>`;
  }
  if (c.occurrence !== undefined) {
    out += `<t:ItemId Id="${esc(c.occurrence.id)}" ChangeKey="${esc(changeKey("item", c.record.folder.mailbox.guid, c.record.lastSeq))}"/>`;
  } else if (c.embedded !== true) {
    out += itemIdXml(c.store, c.record);
  }
  for (const p of ITEM_HEAD) if (wanted(p, shape)) out += p.render(ctx);
  out += extendedXml(c, shape.extended);
  for (const p of ITEM_TAIL) if (wanted(p, shape)) out += p.render(ctx);
  for (const p of typeProps(element)) if (wanted(p, shape)) out += p.render(ctx);
  return `${out}</t:${element}>`;
}
