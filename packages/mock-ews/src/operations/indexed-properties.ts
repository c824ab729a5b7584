// A contact's indexed properties: PhoneNumbers (by PhoneNumberKeyType), EmailAddresses
// (EmailAddress1-3) and PhysicalAddresses (Home/Business/Other, each with five fields), read,
// set and deleted one entry at a time through IndexedFieldURI as Exchange allows, or whole.
import { EwsResponseError } from "../errors.js";
import type { MockContactFields, MockPhysicalAddress } from "../model.js";
import { attr, child, children, el, esc, text, type XmlNode } from "../xml.js";

/** PhoneNumberKeyType of types.xsd, in schema order. */
export const PHONE_KEYS = [
  "AssistantPhone",
  "BusinessFax",
  "BusinessPhone",
  "BusinessPhone2",
  "Callback",
  "CarPhone",
  "CompanyMainPhone",
  "HomeFax",
  "HomePhone",
  "HomePhone2",
  "Isdn",
  "MobilePhone",
  "OtherFax",
  "OtherTelephone",
  "Pager",
  "PrimaryPhone",
  "RadioPhone",
  "Telex",
  "TtyTddPhone",
] as const;

export const EMAIL_KEYS = ["EmailAddress1", "EmailAddress2", "EmailAddress3"] as const;
export const ADDRESS_KEYS = ["Home", "Business", "Other"] as const;
/** PhysicalAddressDictionaryEntryType's elements, in schema order, and their model fields. */
export const ADDRESS_FIELDS = [
  ["Street", "street"],
  ["City", "city"],
  ["State", "state"],
  ["CountryOrRegion", "countryOrRegion"],
  ["PostalCode", "postalCode"],
] as const;

type Contact = MockContactFields;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** One indexed property request (AdditionalProperties IndexedFieldURI), lower-cased URI. */
export interface IndexedRequest {
  readonly uri: string;
  readonly index: string;
}

function badIndex(uri: string, index: string): EwsResponseError {
  return new EwsResponseError(
    "ErrorInvalidPropertyRequest",
    `FieldIndex '${index}' is not valid for ${uri}.`,
  );
}

export function phoneOf(c: Contact, key: string): string | undefined {
  if (key === "BusinessPhone") return c.businessPhone ?? c.phoneNumbers?.BusinessPhone;
  if (key === "MobilePhone") return c.mobilePhone ?? c.phoneNumbers?.MobilePhone;
  return c.phoneNumbers?.[key];
}

export function emailOf(c: Contact, key: string): string | undefined {
  const i = EMAIL_KEYS.indexOf(key as (typeof EMAIL_KEYS)[number]);
  const value = i < 0 ? undefined : c.emailAddresses[i];
  return value === undefined || value === "" ? undefined : value;
}

function withPhone(c: Contact, key: string, value: string | undefined): Contact {
  const out: Mutable<Contact> = { ...c };
  const others: Record<string, string> = { ...(c.phoneNumbers ?? {}) };
  if (key === "BusinessPhone" || key === "MobilePhone") {
    const field = key === "BusinessPhone" ? "businessPhone" : "mobilePhone";
    if (value === undefined) delete out[field];
    else out[field] = value;
    delete others[key];
  } else if (value === undefined) delete others[key];
  else others[key] = value;
  if (Object.keys(others).length === 0) delete out.phoneNumbers;
  else out.phoneNumbers = others;
  return out;
}

function withEmail(c: Contact, key: string, value: string | undefined): Contact {
  const i = EMAIL_KEYS.indexOf(key as (typeof EMAIL_KEYS)[number]);
  const list = [...c.emailAddresses];
  while (list.length <= i) list.push("");
  list[i] = value ?? "";
  while (list.length > 0 && list[list.length - 1] === "") list.pop();
  return { ...c, emailAddresses: list };
}

function withAddressField(
  c: Contact,
  key: string,
  field: keyof MockPhysicalAddress,
  value: string | undefined,
): Contact {
  const all: Record<string, MockPhysicalAddress> = { ...(c.physicalAddresses ?? {}) };
  const entry: Mutable<MockPhysicalAddress> = { ...(all[key] ?? {}) };
  if (value === undefined) delete entry[field];
  else entry[field] = value;
  if (Object.keys(entry).length === 0) delete all[key];
  else all[key] = entry;
  const out: Mutable<Contact> = { ...c };
  if (Object.keys(all).length === 0) delete out.physicalAddresses;
  else out.physicalAddresses = all;
  return out;
}

/** The address field an IndexedFieldURI names ("contacts:physicaladdress:city" -> city), if any. */
function addressField(uri: string): (typeof ADDRESS_FIELDS)[number] | undefined {
  const prefix = "contacts:physicaladdress:";
  if (!uri.startsWith(prefix)) return undefined;
  return ADDRESS_FIELDS.find(([element]) => element.toLowerCase() === uri.slice(prefix.length));
}

/** The value(s) an IndexedFieldURI names on a contact (undefined: unset or not an indexed URI). */
export function readIndexed(c: Contact | undefined, uri: string, index: string): string | undefined {
  if (c === undefined) return undefined;
  const lower = uri.toLowerCase();
  if (lower === "contacts:phonenumber") return phoneOf(c, index);
  if (lower === "contacts:emailaddress") return emailOf(c, index);
  const field = addressField(lower);
  if (field !== undefined) return c.physicalAddresses?.[index]?.[field[1]];
  return undefined;
}

/** Whether `uri` is an indexed contact property this server keeps. */
export function isIndexedUri(uri: string): boolean {
  const lower = uri.toLowerCase();
  return (
    lower === "contacts:phonenumber" || lower === "contacts:emailaddress" || addressField(lower) !== undefined
  );
}

/**
 * Sets (source given) or deletes one indexed entry. `source` is the t:Contact element of a
 * SetItemField. MUST throw ErrorInvalidPropertyRequest for a FieldIndex the URI does not have.
 */
export function updateIndexed(c: Contact, uri: string, index: string, source: XmlNode | undefined): Contact {
  const lower = uri.toLowerCase();
  const entryOf = (collection: string) =>
    children(child(source, collection), "Entry").find((e) => attr(e, "Key") === index);
  if (lower === "contacts:phonenumber") {
    if (!(PHONE_KEYS as readonly string[]).includes(index)) throw badIndex(uri, index);
    return withPhone(c, index, source === undefined ? undefined : (text(entryOf("PhoneNumbers")) ?? ""));
  }
  if (lower === "contacts:emailaddress") {
    if (!(EMAIL_KEYS as readonly string[]).includes(index)) throw badIndex(uri, index);
    return withEmail(c, index, source === undefined ? undefined : (text(entryOf("EmailAddresses")) ?? ""));
  }
  const field = addressField(lower);
  if (field === undefined || !(ADDRESS_KEYS as readonly string[]).includes(index)) throw badIndex(uri, index);
  const value = source === undefined ? undefined : (text(entryOf("PhysicalAddresses") ?? {}, field[0]) ?? "");
  return withAddressField(c, index, field[1], value);
}

/** The indexed collections of a t:Contact element (CreateItem), as model fields. */
export function indexedFromXml(node: XmlNode, base: Contact): Contact {
  let c: Contact = { ...base, emailAddresses: [] };
  for (const e of children(child(node, "EmailAddresses"), "Entry")) {
    const key = attr(e, "Key") ?? "";
    if ((EMAIL_KEYS as readonly string[]).includes(key)) c = withEmail(c, key, text(e) ?? "");
  }
  for (const e of children(child(node, "PhoneNumbers"), "Entry")) {
    const key = attr(e, "Key") ?? "";
    if ((PHONE_KEYS as readonly string[]).includes(key)) c = withPhone(c, key, text(e) ?? "");
  }
  for (const e of children(child(node, "PhysicalAddresses"), "Entry")) {
    const key = attr(e, "Key") ?? "";
    if (!(ADDRESS_KEYS as readonly string[]).includes(key)) continue;
    for (const [element, field] of ADDRESS_FIELDS) {
      const value = text(e, element);
      if (value !== undefined) c = withAddressField(c, key, field, value);
    }
  }
  return c;
}

/** `only` restricts the entries to those asked for by IndexedFieldURI (undefined: all). */
export function emailAddressesXml(c: Contact, only?: ReadonlySet<string>): string {
  const entries = EMAIL_KEYS.filter((k) => only === undefined || only.has(k))
    .map((k) => [k, emailOf(c, k)] as const)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<t:Entry Key="${k}">${esc(v!)}</t:Entry>`);
  return entries.length === 0 ? "" : `<t:EmailAddresses>${entries.join("")}</t:EmailAddresses>`;
}

export function phoneNumbersXml(c: Contact, only?: ReadonlySet<string>): string {
  const entries = PHONE_KEYS.filter((k) => only === undefined || only.has(k))
    .map((k) => [k, phoneOf(c, k)] as const)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<t:Entry Key="${k}">${esc(v!)}</t:Entry>`);
  return entries.length === 0 ? "" : `<t:PhoneNumbers>${entries.join("")}</t:PhoneNumbers>`;
}

/** `only`: key -> lower-cased element names asked for (undefined: every field of every key). */
export function physicalAddressesXml(c: Contact, only?: ReadonlyMap<string, ReadonlySet<string>>): string {
  let out = "";
  for (const key of ADDRESS_KEYS) {
    const address = c.physicalAddresses?.[key];
    if (address === undefined) continue;
    const fields = only === undefined ? undefined : only.get(key);
    if (only !== undefined && fields === undefined) continue;
    let inner = "";
    for (const [element, field] of ADDRESS_FIELDS) {
      const value = address[field];
      if (value !== undefined && (fields === undefined || fields.has(element.toLowerCase())))
        inner += el(`t:${element}`, value);
    }
    if (inner !== "") out += `<t:Entry Key="${key}">${inner}</t:Entry>`;
  }
  return out === "" ? "" : `<t:PhysicalAddresses>${out}</t:PhysicalAddresses>`;
}

/** Splits IndexedFieldURI requests into the per-collection filters the renderers take. */
export function indexedFilters(requests: readonly IndexedRequest[]): {
  emails: Set<string>;
  phones: Set<string>;
  addresses: Map<string, Set<string>>;
} {
  const emails = new Set<string>();
  const phones = new Set<string>();
  const addresses = new Map<string, Set<string>>();
  for (const r of requests) {
    if (r.uri === "contacts:emailaddress") emails.add(r.index);
    else if (r.uri === "contacts:phonenumber") phones.add(r.index);
    else {
      const field = addressField(r.uri);
      if (field === undefined) continue;
      const set = addresses.get(r.index) ?? new Set<string>();
      set.add(field[0].toLowerCase());
      addresses.set(r.index, set);
    }
  }
  return { emails, phones, addresses };
}
