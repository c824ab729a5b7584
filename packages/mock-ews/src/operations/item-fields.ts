// What an item property path (FieldURI, IndexedFieldURI, ExtendedFieldURI) evaluates to on an
// item, for restrictions and sort orders: dates as epoch milliseconds, booleans as booleans,
// multi-valued properties (categories, recipients) as every value.

import { EwsResponseError } from "../errors.js";
import type { MockItemData, MockMailAddress } from "../model.js";
import { itemSize } from "../server/render-attachments.js";
import type { Store } from "../store/mailbox-store.js";
import type { ItemRecord } from "../store/records.js";
import { attr, type XmlNode } from "../xml.js";
import { conversationId } from "./conversation.js";
import { isDraft } from "./draft-state.js";
import { type ExtendedUri, parseExtendedUri, readExtended } from "./extended-properties.js";
import { readIndexed } from "./indexed-properties.js";
import type { Getter, PathResolver, PathUse, Scalar } from "./restrictions.js";
import { storedFlag, storedValue } from "./stored-fields.js";

type Values = readonly Scalar[] | undefined;
type DataGetter = (d: MockItemData, r: ItemRecord) => Values;

const ms = (iso: string | undefined): Values => (iso === undefined ? undefined : [Date.parse(iso)]);
const str = (s: string | undefined): Values => (s === undefined || s === "" ? undefined : [s]);
const people = (list: readonly (MockMailAddress | undefined)[]): Values => {
  const out: string[] = [];
  for (const a of list) if (a !== undefined) out.push(a.email, a.name);
  return out.length === 0 ? undefined : out;
};

const ITEM_FIELDS: Record<string, DataGetter> = {
  "item:subject": (d) => [d.subject],
  "item:itemclass": (d) => [d.itemClass],
  "item:datetimereceived": (d) => ms(d.dateTimeReceived),
  "item:datetimesent": (d) => ms(d.dateTimeSent),
  "item:datetimecreated": (d) => ms(d.dateTimeCreated),
  "item:lastmodifiedtime": (_d, r) => ms(r.lastModifiedTime),
  "item:importance": (d) => [d.importance],
  "item:sensitivity": (d) => [d.sensitivity],
  "item:categories": (d) => (d.categories.length === 0 ? undefined : d.categories),
  "item:hasattachments": (d) => [
    d.attachments.some((a) => !a.isInline) || (d.itemAttachments?.length ?? 0) > 0,
  ],
  "item:size": (d) => [itemSize(d)],
  "item:displayto": (d) => [d.toRecipients.map((a) => a.name).join("; ")],
  "item:displaycc": (d) => [d.ccRecipients.map((a) => a.name).join("; ")],
  "item:conversationid": (d, r) => {
    const id = conversationId(r.folder.mailbox.guid, d);
    return id === undefined ? undefined : [id];
  },
  "item:isassociated": (_d, r) => [r.isAssociated],
  "item:isdraft": (d) => [isDraft(d)],
  "item:issubmitted": () => [false],
  "item:isfromme": (d, r) => [d.from?.email.toLowerCase() === r.folder.mailbox.smtpAddress.toLowerCase()],
  "item:reminderisset": (d) => [storedFlag(d, "item:reminderisset") ?? d.itemClass === "IPM.Appointment"],
  "message:isread": (d) => [d.isRead],
  "message:from": (d) => people([d.from]),
  "message:sender": (d) => people([d.from]),
  "message:torecipients": (d) => people(d.toRecipients),
  "message:ccrecipients": (d) => people(d.ccRecipients),
  "message:bccrecipients": (d) => people(d.bccRecipients),
  "message:internetmessageid": (d) => str(d.internetMessageId),
  "message:conversationtopic": (d) => [d.subject.replace(/^(re|fw|fwd):\s*/i, "")],
  "message:isreadreceiptrequested": () => [false],
  "message:isdeliveryreceiptrequested": () => [false],
  "calendar:start": (d) => ms(d.calendar?.start),
  "calendar:end": (d) => ms(d.calendar?.end),
  "calendar:location": (d) => str(d.calendar?.location),
  "calendar:isalldayevent": (d) => (d.calendar === undefined ? undefined : [d.calendar.isAllDayEvent]),
  "calendar:isrecurring": (d) =>
    d.calendar === undefined ? undefined : [d.calendar.recurrence !== undefined],
  "calendar:calendaritemtype": (d) =>
    d.calendar === undefined
      ? undefined
      : [d.calendar.recurrence === undefined ? "Single" : "RecurringMaster"],
  "calendar:legacyfreebusystatus": (d) => str(d.calendar?.legacyFreeBusyStatus),
  "calendar:organizer": (d) => people([d.calendar?.organizer]),
  "calendar:ismeeting": (d) =>
    d.calendar === undefined
      ? undefined
      : [d.calendar.requiredAttendees.length + d.calendar.optionalAttendees.length > 0],
  "contacts:givenname": (d) => str(d.contact?.givenName),
  "contacts:surname": (d) => str(d.contact?.surname),
  "contacts:companyname": (d) => str(d.contact?.companyName),
  "contacts:jobtitle": (d) => str(d.contact?.jobTitle),
  "contacts:displayname": (d) =>
    d.contact === undefined
      ? undefined
      : [storedValue(d, "contacts:displayname") ?? `${d.contact.givenName} ${d.contact.surname}`],
  "contacts:fileas": (d) =>
    d.contact === undefined
      ? undefined
      : [storedValue(d, "contacts:fileas") ?? `${d.contact.surname}, ${d.contact.givenName}`],
  "task:status": (d) => str(d.task?.status),
  "task:completedate": (d) => {
    const value = d.task === undefined ? undefined : storedValue(d, "task:completedate");
    return value === undefined ? undefined : [value];
  },
  "task:percentcomplete": (d) => (d.task === undefined ? undefined : [d.task.percentComplete]),
  "task:duedate": (d) => ms(d.task?.dueDate),
  "task:startdate": (d) => ms(d.task?.startDate),
  "task:iscomplete": (d) => (d.task === undefined ? undefined : [d.task.status === "Completed"]),
};

const NUMBER_TYPES = new Set(["Integer", "Long", "Short", "Double", "Float", "Currency", "ApplicationTime"]);

/** Extended property values typed for comparison by their PropertyType. */
function typedExtended(uri: ExtendedUri, values: readonly string[]): Scalar[] {
  const base = uri.propertyType.replace(/Array$/, "");
  if (base === "Boolean") return values.map((v) => v === "true");
  if (base === "SystemTime") return values.map((v) => Date.parse(v));
  if (NUMBER_TYPES.has(base)) return values.map(Number);
  return [...values];
}

/** The PathResolver of FindItem restrictions and sort orders. */
export function itemPathResolver(store: Store): PathResolver<ItemRecord> {
  return (kind: string, node: XmlNode, use: PathUse): Getter<ItemRecord> => {
    if (kind === "ExtendedFieldURI") {
      const uri = parseExtendedUri(node);
      return (r) => {
        const data = store.itemData(r);
        const values = readExtended(data, uri, {
          size: () => itemSize(data),
          lastModifiedTime: r.lastModifiedTime,
          searchKey: () => store.searchKey(r),
        });
        return values === undefined ? undefined : typedExtended(uri, values);
      };
    }
    const uri = (attr(node, "FieldURI") ?? "").toLowerCase();
    if (kind === "IndexedFieldURI") {
      const index = attr(node, "FieldIndex") ?? "";
      return (r) => str(readIndexed(store.itemData(r).contact, uri, index));
    }
    // The body can be searched (Contains) but not compared or sorted on, as in Exchange.
    if (uri === "item:body" && use === "contains") return (r) => [store.itemData(r).body.content];
    const getter = ITEM_FIELDS[uri];
    if (getter === undefined)
      throw new EwsResponseError(
        "ErrorUnsupportedPathForQuery",
        `The property ${uri} is not supported in restrictions.`,
      );
    return (r) => getter(store.itemData(r), r);
  };
}
