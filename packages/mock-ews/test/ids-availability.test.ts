// ConvertId round trips between every id format, GetServerTimeZones, and GetUserAvailability's
// free/busy from calendar items (time zones, merged strings, permission-dependent detail).
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { basicAuth, ids, responseCodes, soap } from "./helpers.js";

const FORMATS = ["EwsId", "EwsLegacyId", "EntryId", "HexEntryId", "StoreId", "OwaId"];

describe("ConvertId, time zones and availability", () => {
  let server: MockEwsServer;
  let box: string;

  beforeAll(async () => {
    // Generation is deterministic: a first server tells the addresses the users need.
    const probe = await startMockEwsServer({ seed: 51, mailboxes: 2, itemsPerMailbox: 1 });
    const addresses = probe.mailboxes;
    await probe.stop();
    server = await startMockEwsServer({
      seed: 51,
      mailboxes: 2,
      itemsPerMailbox: 20,
      users: [
        { username: "admin", password: "pw", impersonate: "*" },
        { username: "peer", password: "pw2", smtpAddress: addresses[1]! },
      ],
    });
    box = server.mailboxes[0]!;
    expect(server.mailboxes).toEqual(addresses);
  });
  afterAll(async () => {
    await server?.stop();
  });

  const convert = async (id: string, from: string, to: string, mailbox = box) => {
    const result = await soap(
      server,
      `<m:ConvertId DestinationFormat="${to}"><m:SourceIds><t:AlternateId Format="${from}" Id="${id}" Mailbox="${mailbox}"/></m:SourceIds></m:ConvertId>`,
    );
    expect(responseCodes(result.text), result.text).toEqual(["NoError"]);
    expect(result.text).toContain(`Format="${to}"`);
    return /<m:AlternateId xsi:type="t:AlternateIdType" Format="\w+" Id="([^"]+)"/.exec(result.text)![1]!;
  };

  it("converts item and folder ids through every format and back, shaped like Exchange's", async () => {
    const item = server.listItems(box, "inbox")[0]!;
    const folder = server.folderId(box, "inbox");
    for (const id of [item, folder]) {
      for (const format of FORMATS) {
        const alternate = await convert(id, "EwsId", format);
        expect(await convert(alternate, format, "EwsId")).toBe(id);
      }
    }
    const hex = await convert(item, "EwsId", "HexEntryId");
    expect(hex).toMatch(/^[0-9A-F]{140}$/);
    expect(await convert(folder, "EwsId", "HexEntryId")).toMatch(/^[0-9A-F]{92}$/);
    expect(await convert(item, "EwsId", "OwaId")).toMatch(/^RgAAAA/);
    expect(await convert(folder, "EwsId", "OwaId")).toMatch(/^LgAAAA/);
    // The converted EwsId is the id every operation takes.
    const back = await convert(await convert(item, "EwsId", "EntryId"), "EntryId", "EwsId");
    const got = await soap(
      server,
      `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${back}"/></m:ItemIds></m:GetItem>`,
    );
    expect(responseCodes(got.text)).toEqual(["NoError"]);
  });

  it("refuses ids of another format or mailbox and unknown formats", async () => {
    const item = server.listItems(box, "inbox")[0]!;
    const result = await soap(
      server,
      `<m:ConvertId DestinationFormat="EntryId"><m:SourceIds><t:AlternateId Format="HexEntryId" Id="${item}" Mailbox="${box}"/><t:AlternateId Format="EwsId" Id="${item}" Mailbox="${server.mailboxes[1]}"/><t:AlternateId Format="EwsId" Id="${item}" Mailbox="ghost@contoso.test"/></m:SourceIds></m:ConvertId>`,
    );
    expect(responseCodes(result.text)).toEqual([
      "ErrorInvalidIdMalformed",
      "ErrorInvalidIdMalformed",
      "ErrorNonExistentMailbox",
    ]);
    const badFormat = await soap(
      server,
      `<m:ConvertId DestinationFormat="Base64"><m:SourceIds><t:AlternateId Format="EwsId" Id="${item}" Mailbox="${box}"/></m:SourceIds></m:ConvertId>`,
    );
    expect(responseCodes(badFormat.text)).toEqual(["ErrorInvalidRequest"]);
  });

  it("GetServerTimeZones lists definitions with periods and transitions", async () => {
    const all = await soap(server, "<m:GetServerTimeZones/>");
    expect(responseCodes(all.text)).toEqual(["NoError"]);
    expect(all.text).toContain('<t:TimeZoneDefinition Id="W. Europe Standard Time"');
    expect(all.text.match(/<t:TimeZoneDefinition /g)).toHaveLength(45);
    // Romance Standard Time (Copenhagen, Paris) changes at 01:00 UTC: 02:00 local in March.
    expect(all.text).toContain(
      '<t:To Kind="Period">trule:Microsoft/Registry/Romance Standard Time/2006-Daylight</t:To><t:TimeOffset>PT2H</t:TimeOffset><t:Month>3</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek><t:Occurrence>-1</t:Occurrence>',
    );
    expect(all.text).toContain(
      '<t:Period Bias="-PT5H30M" Name="Standard" Id="trule:Microsoft/Registry/India Standard Time/2006-Standard"/>',
    );
    expect(all.text).toContain('Id="trule:Microsoft/Registry/W. Europe Standard Time/2006-Daylight"');
    const names = await soap(
      server,
      `<m:GetServerTimeZones ReturnFullTimeZoneData="false"><m:Ids><t:Id>UTC</t:Id><t:Id>Pacific Standard Time</t:Id></m:Ids></m:GetServerTimeZones>`,
    );
    expect(names.text.match(/<t:TimeZoneDefinition [^>]*\/>/g)).toHaveLength(2);
  });

  describe("GetUserAvailability", () => {
    const UTC =
      "<t:TimeZone><t:Bias>0</t:Bias><t:StandardTime><t:Bias>0</t:Bias><t:Time>00:00:00</t:Time><t:DayOrder>0</t:DayOrder><t:Month>0</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:StandardTime><t:DaylightTime><t:Bias>0</t:Bias><t:Time>00:00:00</t:Time><t:DayOrder>0</t:DayOrder><t:Month>0</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:DaylightTime></t:TimeZone>";
    const BERLIN =
      "<t:TimeZone><t:Bias>-60</t:Bias><t:StandardTime><t:Bias>0</t:Bias><t:Time>03:00:00</t:Time><t:DayOrder>5</t:DayOrder><t:Month>10</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:StandardTime><t:DaylightTime><t:Bias>-60</t:Bias><t:Time>02:00:00</t:Time><t:DayOrder>5</t:DayOrder><t:Month>3</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:DaylightTime></t:TimeZone>";
    const request = (
      zone: string,
      mailboxes: string[],
      start: string,
      end: string,
      view: string,
      interval = 30,
    ) =>
      `<m:GetUserAvailabilityRequest>${zone}<m:MailboxDataArray>${mailboxes.map((m) => `<t:MailboxData><t:Email><t:Address>${m}</t:Address></t:Email><t:AttendeeType>Required</t:AttendeeType></t:MailboxData>`).join("")}</m:MailboxDataArray><t:FreeBusyViewOptions><t:TimeWindow><t:StartTime>${start}</t:StartTime><t:EndTime>${end}</t:EndTime></t:TimeWindow><t:MergedFreeBusyIntervalInMinutes>${interval}</t:MergedFreeBusyIntervalInMinutes><t:RequestedView>${view}</t:RequestedView></t:FreeBusyViewOptions></m:GetUserAvailabilityRequest>`;
    const meeting = (
      subject: string,
      start: string,
      end: string,
      status: "Busy" | "OOF" | "Tentative",
      extra = {},
    ) => {
      const template = server.getItem(server.listItems(box, "calendar")[0]!);
      return server.addItem(box, "calendar", {
        ...template,
        subject,
        sensitivity: "Normal",
        calendar: {
          ...template.calendar!,
          start,
          end,
          legacyFreeBusyStatus: status,
          recurrence: undefined,
          ...extra,
        },
      });
    };

    it("reports calendar events and the merged string in the request's time zone", async () => {
      meeting("Planning", "2030-07-01T08:00:00Z", "2030-07-01T09:00:00Z", "Busy");
      meeting("Away", "2030-07-01T10:00:00Z", "2030-07-01T10:30:00Z", "OOF");
      // Berlin is UTC+2 in July: the window 10:00..13:00 local is 08:00..11:00 UTC.
      const answer = await soap(
        server,
        request(BERLIN, [box], "2030-07-01T10:00:00", "2030-07-01T13:00:00", "DetailedMerged"),
      );
      expect(responseCodes(answer.text)).toEqual(["NoError"]);
      expect(answer.text).toContain("<t:FreeBusyViewType>DetailedMerged</t:FreeBusyViewType>");
      expect(answer.text).toContain("<t:MergedFreeBusy>220030</t:MergedFreeBusy>");
      expect(answer.text).toContain(
        "<t:StartTime>2030-07-01T10:00:00</t:StartTime><t:EndTime>2030-07-01T11:00:00</t:EndTime><t:BusyType>Busy</t:BusyType>",
      );
      expect(answer.text).toContain("<t:Subject>Planning</t:Subject>");
      const utc = await soap(
        server,
        request(UTC, [box], "2030-07-01T08:00:00", "2030-07-01T09:00:00", "FreeBusy"),
      );
      expect(utc.text).toContain("<t:FreeBusyViewType>FreeBusy</t:FreeBusyViewType>");
      expect(utc.text).toContain("<t:StartTime>2030-07-01T08:00:00</t:StartTime>");
      expect(utc.text).not.toContain("CalendarEventDetails");
      expect(utc.text).not.toContain("MergedFreeBusy");
    });

    it("expands recurrences into the window", async () => {
      meeting("Daily standup", "2031-03-03T09:00:00Z", "2031-03-03T09:15:00Z", "Busy", {
        recurrence: { pattern: "Daily", interval: 1, startDate: "2031-03-03", numberOfOccurrences: 5 },
      });
      const answer = await soap(
        server,
        request(UTC, [box], "2031-03-01T00:00:00", "2031-03-15T00:00:00", "Detailed"),
      );
      expect(answer.text.match(/<t:Subject>Daily standup<\/t:Subject>/g)).toHaveLength(5);
      expect(answer.text).toContain("<t:StartTime>2031-03-07T09:00:00</t:StartTime>");
      expect(answer.text).not.toContain("<t:StartTime>2031-03-08T09:00:00</t:StartTime>");
    });

    it("a caller without access sees times only unless the calendar's Default permission allows more", async () => {
      meeting("Secret plans", "2032-01-05T10:00:00Z", "2032-01-05T11:00:00Z", "Busy");
      const asPeer = (body: string) => soap(server, body, { mailbox: null, auth: basicAuth("peer", "pw2") });
      const body = request(UTC, [box], "2032-01-05T00:00:00", "2032-01-06T00:00:00", "Detailed");
      const timesOnly = await asPeer(body);
      expect(responseCodes(timesOnly.text), timesOnly.text).toEqual(["NoError"]);
      expect(timesOnly.text).toContain("<t:FreeBusyViewType>FreeBusy</t:FreeBusyViewType>");
      expect(timesOnly.text).not.toContain("Secret plans");
      const calendar = server.folderId(box, "calendar");
      const set = await soap(
        server,
        `<m:UpdateFolder><m:FolderChanges><t:FolderChange><t:FolderId Id="${calendar}"/><t:Updates><t:SetFolderField><t:FieldURI FieldURI="folder:PermissionSet"/><t:CalendarFolder><t:PermissionSet><t:CalendarPermissions><t:CalendarPermission><t:UserId><t:DistinguishedUser>Default</t:DistinguishedUser></t:UserId><t:CalendarPermissionLevel>FreeBusyTimeAndSubjectAndLocation</t:CalendarPermissionLevel></t:CalendarPermission></t:CalendarPermissions></t:PermissionSet></t:CalendarFolder></t:SetFolderField></t:Updates></t:FolderChange></m:FolderChanges></m:UpdateFolder>`,
        { auth: basicAuth("admin", "pw") },
      );
      expect(responseCodes(set.text)).toEqual(["NoError"]);
      const detailed = await asPeer(body);
      expect(detailed.text).toContain("<t:FreeBusyViewType>Detailed</t:FreeBusyViewType>");
      expect(detailed.text).toContain("<t:Subject>Secret plans</t:Subject>");
    });

    it("unknown recipients get ErrorMailRecipientNotFound; bad windows are SOAP faults", async () => {
      const answer = await soap(
        server,
        request(
          UTC,
          [box, "ghost@contoso.test", "room-orion@contoso.test"],
          "2030-01-01T00:00:00",
          "2030-01-02T00:00:00",
          "FreeBusy",
        ),
      );
      expect(responseCodes(answer.text)).toEqual(["NoError", "ErrorMailRecipientNotFound", "NoError"]);
      for (const [start, end, code] of [
        ["2030-01-02T00:00:00", "2030-01-01T00:00:00", "ErrorInvalidTimeInterval"],
        ["2030-01-01T00:00:00", "2030-03-01T00:00:00", "ErrorTimeIntervalTooBig"],
      ] as const) {
        const bad = await soap(server, request(UTC, [box], start, end, "FreeBusy"));
        expect(bad.status).toBe(500);
        expect(bad.text).toContain(`a:${code}</faultcode>`);
      }
      const interval = await soap(
        server,
        request(UTC, [box], "2030-01-01T00:00:00", "2030-01-02T00:00:00", "FreeBusy", 2),
      );
      expect(interval.text).toContain("a:ErrorInvalidMergedFreeBusyInterval</faultcode>");
      expect(ids(answer.text)).toEqual([]);
    });
  });
});
