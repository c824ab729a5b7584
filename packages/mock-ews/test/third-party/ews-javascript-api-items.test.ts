// ews-javascript-api, unmodified, on the item-level features: calendar views over a recurring
// series, item attachments, extended properties, contact indexed properties and search filters.
import "./node-util-shim.js";
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import {
  Appointment,
  AppointmentType,
  BasePropertySet,
  CalendarView,
  Contact,
  DateTime,
  DefaultExtendedPropertySet,
  EmailAddress,
  EmailAddressKey,
  EmailMessage,
  type ExchangeService,
  ExtendedPropertyDefinition,
  type Item,
  type ItemAttachment,
  ItemSchema,
  ItemView,
  LogicalOperator,
  MapiPropertyType,
  MessageBody,
  PhoneNumberKey,
  PhysicalAddressEntry,
  PhysicalAddressKey,
  PropertySet,
  Recurrence,
  SearchFilter,
  SendInvitationsMode,
  WellKnownFolderName,
} from "ews-javascript-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { impersonatingService } from "./ews-js-service.js";

describe("ews-javascript-api on item-level features", () => {
  let server: MockEwsServer;
  let service: ExchangeService;

  beforeAll(async () => {
    server = await startMockEwsServer({ seed: 4, mailboxes: 1, itemsPerMailbox: 30 });
    service = impersonatingService(server, server.mailboxes[0]!);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("FindAppointments expands a recurring appointment into occurrences", async () => {
    const appointment = new Appointment(service);
    appointment.Subject = "js daily";
    appointment.Start = new DateTime(Date.UTC(2032, 4, 3, 8, 0, 0));
    appointment.End = new DateTime(Date.UTC(2032, 4, 3, 8, 30, 0));
    const pattern = new Recurrence.DailyPattern();
    pattern.StartDate = appointment.Start;
    pattern.Interval = 1;
    pattern.NumberOfOccurrences = 4;
    appointment.Recurrence = pattern;
    await appointment.Save(WellKnownFolderName.Calendar, SendInvitationsMode.SendToNone);
    const view = new CalendarView(new DateTime(Date.UTC(2032, 4, 1)), new DateTime(Date.UTC(2032, 4, 31)));
    const found = await service.FindAppointments(WellKnownFolderName.Calendar, view);
    const mine = found.Items.filter((a) => a.Subject === "js daily");
    expect(mine).toHaveLength(4);
    expect(mine.every((a) => a.AppointmentType === AppointmentType.Occurrence)).toBe(true);
    const occurrence = await Appointment.Bind(service, mine[2]!.Id);
    expect(occurrence.AppointmentType).toBe(AppointmentType.Occurrence);
    expect(occurrence.Start.TotalMilliSeconds).toBe(Date.UTC(2032, 4, 5, 8, 0, 0));
    const master = await Appointment.BindToRecurringMaster(service, mine[0]!.Id);
    expect(master.AppointmentType).toBe(AppointmentType.RecurringMaster);
    expect(master.Id.UniqueId).toBe(appointment.Id.UniqueId);
  });

  it("saves and loads an item attachment", async () => {
    const message = new EmailMessage(service);
    message.Subject = "js with item attachment";
    message.Body = new MessageBody("outer");
    const attached = message.Attachments.AddItemAttachment(EmailMessage as unknown as typeof Item, "Message");
    attached.Name = "inner note";
    attached.Item.Subject = "js inner";
    attached.Item.Body = new MessageBody("inner body");
    await message.Save(WellKnownFolderName.Drafts);
    const loaded = await EmailMessage.Bind(
      service,
      message.Id,
      new PropertySet(BasePropertySet.FirstClassProperties),
    );
    expect(loaded.HasAttachments).toBe(true);
    expect(loaded.Attachments.Count).toBe(1);
    // ItemAttachment.Load() of this library dereferences the not-yet-loaded item in its own
    // validation (the .NET original checks for null), so fetch it by id, as Load would.
    const listed = loaded.Attachments._getItem(0);
    const responses = await service.GetAttachments([listed.Id], null as never, null as never);
    const attachment = responses.Responses[0]!.Attachment as ItemAttachment;
    expect(attachment.Name).toBe("inner note");
    expect(attachment.Item.Subject).toBe("js inner");
    // A file attachment added later goes through CreateAttachment.
    loaded.Attachments.AddFileAttachment("later.txt", Buffer.from("later").toString("base64"));
    await loaded.Update(0 as never);
    const again = await EmailMessage.Bind(
      service,
      message.Id,
      new PropertySet(BasePropertySet.FirstClassProperties),
    );
    expect(again.Attachments.Count).toBe(2);
  });

  it("sets and reads extended properties and filters on them", async () => {
    const colour = new ExtendedPropertyDefinition(
      DefaultExtendedPropertySet.PublicStrings,
      "JsColour",
      MapiPropertyType.String,
    );
    const score = new ExtendedPropertyDefinition(0x6a01, MapiPropertyType.Integer);
    const message = new EmailMessage(service);
    message.Subject = "js extended";
    message.SetExtendedProperty(colour, "amber");
    message.SetExtendedProperty(score, 42);
    await message.Save(WellKnownFolderName.Drafts);
    const loaded = await EmailMessage.Bind(
      service,
      message.Id,
      new PropertySet(BasePropertySet.IdOnly, [colour, score]),
    );
    const values = loaded.ExtendedProperties.GetEnumerator().map((p) => String(p.Value));
    expect(values.sort()).toEqual(["42", "amber"]);
    const filter = new SearchFilter.SearchFilterCollection(LogicalOperator.And, [
      new SearchFilter.IsEqualTo(colour, "amber"),
      new SearchFilter.IsGreaterThan(score, 40),
    ]);
    const found = await service.FindItems(WellKnownFolderName.Drafts, filter, new ItemView(10));
    expect(found.Items.map((i) => i.Subject)).toEqual(["js extended"]);
  });

  it("keeps contact phone numbers, e-mail and postal addresses", async () => {
    const contact = new Contact(service);
    contact.GivenName = "Katherine";
    contact.Surname = "Johnson";
    contact.PhoneNumbers._setItem(PhoneNumberKey.HomePhone, "+1 555 0142");
    contact.PhoneNumbers._setItem(PhoneNumberKey.CarPhone, "+1 555 0143");
    contact.EmailAddresses._setItem(EmailAddressKey.EmailAddress2, new EmailAddress("kj@example.test"));
    const address = new PhysicalAddressEntry();
    address.City = "Hampton";
    address.State = "VA";
    contact.PhysicalAddresses._setItem(PhysicalAddressKey.Business, address);
    await contact.Save(WellKnownFolderName.Contacts);
    const loaded = await Contact.Bind(service, contact.Id);
    expect(loaded.PhoneNumbers._getItem(PhoneNumberKey.HomePhone)).toBe("+1 555 0142");
    expect(loaded.PhoneNumbers._getItem(PhoneNumberKey.CarPhone)).toBe("+1 555 0143");
    expect(loaded.EmailAddresses._getItem(EmailAddressKey.EmailAddress2).Address).toBe("kj@example.test");
    expect(loaded.PhysicalAddresses._getItem(PhysicalAddressKey.Business).City).toBe("Hampton");
    loaded.PhoneNumbers._setItem(PhoneNumberKey.HomePhone, "+1 555 0199");
    await loaded.Update(0 as never);
    const again = await Contact.Bind(service, contact.Id);
    expect(again.PhoneNumbers._getItem(PhoneNumberKey.HomePhone)).toBe("+1 555 0199");
  });

  it("filters on categories and subject with SearchFilter", async () => {
    for (const [subject, category] of [
      ["js alpha", "Purple"],
      ["js beta", "Orange"],
    ]) {
      const message = new EmailMessage(service);
      message.Subject = subject!;
      message.Categories.Add(category!);
      await message.Save(WellKnownFolderName.Inbox);
    }
    const filter = new SearchFilter.SearchFilterCollection(LogicalOperator.Or, [
      new SearchFilter.IsEqualTo(ItemSchema.Categories, "Purple"),
      new SearchFilter.ContainsSubstring(ItemSchema.Subject, "BETA"),
    ]);
    const found = await service.FindItems(WellKnownFolderName.Inbox, filter, new ItemView(50));
    expect(found.Items.map((i) => i.Subject).sort()).toEqual(["js alpha", "js beta"]);
  });
});
