// Address book entries as EWS XML: t:EmailAddressType (Mailbox, Address, Room/Id), the Contact
// that ResolveNames returns with full contact data, and the Persona of FindPeople.
import { createHash } from "node:crypto";
import type { MockContactFields } from "../model.js";
import { type DirectoryEntry, isList } from "../store/directory.js";
import { el, esc } from "../xml.js";

/**
 * Exchange's MailboxType for an entry: Mailbox for user, shared, room and equipment mailboxes,
 * PublicDL for distribution lists and room lists (room lists are distribution groups).
 */
export function mailboxType(entry: DirectoryEntry): "Mailbox" | "PublicDL" {
  return isList(entry) ? "PublicDL" : "Mailbox";
}

/** The EmailAddressType children of an entry (Name, EmailAddress, RoutingType, MailboxType). */
export function emailAddressContent(entry: DirectoryEntry): string {
  return `${el("t:Name", entry.displayName)}${el("t:EmailAddress", entry.smtpAddress)}<t:RoutingType>SMTP</t:RoutingType>${el("t:MailboxType", mailboxType(entry))}`;
}

export function mailboxXml(entry: DirectoryEntry, tag = "t:Mailbox"): string {
  return `<${tag}>${emailAddressContent(entry)}</${tag}>`;
}

/**
 * The persona type of an entry: Person for user and shared mailboxes (Exchange shows no
 * difference between them), Room and Equipment for resource mailboxes (the persona types of
 * Exchange's people service), DistributionList for distribution and room lists.
 */
export function personaType(entry: DirectoryEntry): string {
  switch (entry.kind) {
    case "Room":
      return "Room";
    case "Equipment":
      return "Equipment";
    case "DistributionList":
    case "RoomList":
      return "DistributionList";
    default:
      return "Person";
  }
}

/** A stable persona id (Exchange's are opaque base64 too). */
export function personaId(entry: DirectoryEntry): string {
  const digest = createHash("sha1").update(`persona\u0000${entry.smtpAddress.toLowerCase()}`).digest();
  return Buffer.concat([Buffer.from([0x00, 0x00, 0x00, 0x10, 0x50]), digest]).toString("base64");
}

/** A legacyExchangeDN-shaped reference for an entry (GetSearchableMailboxes ReferenceId). */
export function legacyDn(entry: DirectoryEntry): string {
  const alias = entry.smtpAddress.split("@")[0] ?? entry.smtpAddress;
  return `/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=${alias}`;
}

/** The FindPeople persona of an entry, elements in PersonaType's sequence order. */
export function personaXml(entry: DirectoryEntry): string {
  const given = entry.givenName ?? "";
  const surname = entry.surname ?? "";
  const lastFirst = surname === "" ? entry.displayName : `${surname}, ${given}`.trim();
  return (
    `<t:Persona><t:PersonaId Id="${personaId(entry)}"/>${el("t:PersonaType", personaType(entry))}` +
    `${el("t:DisplayNameFirstLastSortKey", entry.displayName)}${el("t:DisplayNameLastFirstSortKey", lastFirst)}` +
    `${el("t:DisplayName", entry.displayName)}${el("t:DisplayNameFirstLast", entry.displayName)}` +
    `${el("t:DisplayNameLastFirst", lastFirst)}${el("t:FileAs", lastFirst)}` +
    `${given === "" ? "" : el("t:GivenName", given)}${surname === "" ? "" : el("t:Surname", surname)}` +
    `${entry.title === undefined ? "" : el("t:Title", entry.title)}` +
    `${entry.department === undefined ? "" : el("t:Department", entry.department)}` +
    `${entry.office === undefined ? "" : el("t:Location", entry.office)}` +
    `<t:EmailAddress>${emailAddressContent(entry)}</t:EmailAddress>` +
    `<t:EmailAddresses><t:Address>${emailAddressContent(entry)}</t:Address></t:EmailAddresses>` +
    `${el("t:RelevanceScore", 2147483647)}</t:Persona>`
  );
}

/** The persona id of a personal contact (stable, derived from its item id). */
export function contactPersonaId(itemId: string): string {
  const id = createHash("sha1").update(`contact-persona\u0000${itemId}`).digest();
  return Buffer.concat([Buffer.from([0x00, 0x00, 0x00, 0x10, 0x43]), id]).toString("base64");
}

/** A personal contact's persona (FindPeople over a contacts folder): MailboxType Contact. */
export function contactPersonaXml(
  itemId: string,
  name: string,
  contact: MockContactFields,
  email: string | undefined,
): string {
  const address =
    email === undefined
      ? ""
      : `${el("t:Name", name)}${el("t:EmailAddress", email)}<t:RoutingType>SMTP</t:RoutingType><t:MailboxType>Contact</t:MailboxType>`;
  return (
    `<t:Persona><t:PersonaId Id="${contactPersonaId(itemId)}"/>` +
    `${el("t:PersonaType", "Person")}${el("t:DisplayName", name)}` +
    `${contact.givenName === "" ? "" : el("t:GivenName", contact.givenName)}` +
    `${contact.surname === "" ? "" : el("t:Surname", contact.surname)}` +
    `${contact.jobTitle === "" ? "" : el("t:Title", contact.jobTitle)}` +
    `${contact.companyName === "" ? "" : el("t:CompanyName", contact.companyName)}` +
    `${address === "" ? "" : `<t:EmailAddress>${address}</t:EmailAddress><t:EmailAddresses><t:Address>${address}</t:Address></t:EmailAddresses>`}</t:Persona>`
  );
}

/** The Contact of a ResolveNames resolution with ReturnFullContactData (ContactItemType order). */
export function contactXml(entry: DirectoryEntry): string {
  return (
    `<t:Contact>${el("t:DisplayName", entry.displayName)}` +
    `${entry.givenName === undefined ? "" : el("t:GivenName", entry.givenName)}` +
    `<t:EmailAddresses><t:Entry Key="EmailAddress1">SMTP:${esc(entry.smtpAddress)}</t:Entry></t:EmailAddresses>` +
    `<t:ContactSource>ActiveDirectory</t:ContactSource>` +
    `${entry.department === undefined ? "" : el("t:Department", entry.department)}` +
    `${entry.title === undefined ? "" : el("t:JobTitle", entry.title)}` +
    `${entry.office === undefined ? "" : el("t:OfficeLocation", entry.office)}` +
    `${entry.surname === undefined || entry.surname === "" ? "" : el("t:Surname", entry.surname)}</t:Contact>`
  );
}
