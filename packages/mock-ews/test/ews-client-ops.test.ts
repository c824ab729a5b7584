// ews-javascript-api, unmodified, driving the operations of issue 12: folder update (rename,
// permissions), move, copy and empty, ConvertId, ResolveNames, ExpandDL, GetRoomLists/GetRooms,
// GetUserAvailability and autodiscover GetUserSettings. (The library has no FindPeople or
// GetMailTips call; directory.test.ts and schema-ops.test.ts cover those over raw SOAP.)
import "./third-party/node-util-shim.js";
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import {
  AlternateId,
  AttendeeInfo,
  AutodiscoverService,
  AvailabilityData,
  BasePropertySet,
  DateTime,
  DeleteMode,
  EmailAddress,
  type ExchangeService,
  ExchangeVersion,
  Folder,
  type FolderId,
  FolderPermission,
  FolderPermissionLevel,
  FolderSchema,
  FolderView,
  IdFormat,
  PropertySet,
  ResolveNameSearchLocation,
  ServiceResponseException,
  TimeWindow,
  Uri,
  UserSettingName,
  WebCredentials,
  WellKnownFolderName,
} from "ews-javascript-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { impersonatingService } from "./third-party/ews-js-service.js";

describe("ews-javascript-api against the mock's folder, id, directory and availability operations", () => {
  let server: MockEwsServer;
  let service: ExchangeService;
  let box: string;

  beforeAll(async () => {
    server = await startMockEwsServer({ seed: 81, mailboxes: 2, itemsPerMailbox: 40 });
    box = server.mailboxes[0]!;
    service = impersonatingService(server, box);
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function createFolder(
    name: string,
    parent: FolderId | WellKnownFolderName = WellKnownFolderName.MsgFolderRoot,
  ) {
    const folder = new Folder(service);
    folder.DisplayName = name;
    await folder.Save(parent as FolderId);
    return folder;
  }

  it("renames a folder and sets its permissions with Folder.Update", async () => {
    const folder = await createFolder("Client Folder");
    folder.DisplayName = "Client Folder Renamed";
    await folder.Update();
    const bound = await Folder.Bind(
      service,
      folder.Id,
      new PropertySet(BasePropertySet.FirstClassProperties, [FolderSchema.Permissions]),
    );
    expect(bound.DisplayName).toBe("Client Folder Renamed");
    const levels = bound.Permissions.GetEnumerator().map((p) => [p.UserId.StandardUser, p.PermissionLevel]);
    expect(levels).toHaveLength(2);
    bound.Permissions.Add(new FolderPermission(server.mailboxes[1]!, FolderPermissionLevel.Reviewer));
    await bound.Update();
    const again = await Folder.Bind(
      service,
      folder.Id,
      new PropertySet(BasePropertySet.IdOnly, [FolderSchema.Permissions]),
    );
    const reviewer = again.Permissions.GetEnumerator().find(
      (p) => p.UserId.PrimarySmtpAddress === server.mailboxes[1],
    );
    // The library reads the level back as the enum value in text form.
    expect(Number(reviewer?.PermissionLevel)).toBe(FolderPermissionLevel.Reviewer);
    expect(reviewer?.CanCreateItems).toBe(false);
    expect(again.Permissions.Count).toBe(3);
  });

  it("moves, copies and empties folders", async () => {
    const source = await createFolder("Client Source");
    const target = await createFolder("Client Target");
    const inbox = server.listItems(box, "inbox").slice(0, 3);
    for (const id of inbox) server.addItem(box, source.Id.UniqueId, server.getItem(id));
    const copy = await source.Copy(target.Id);
    expect(copy.Id.UniqueId).not.toBe(source.Id.UniqueId);
    expect(server.listItems(box, "Client Target/Client Source")).toHaveLength(3);
    // A second folder of the same name is refused, as in Exchange; below a subfolder it may go.
    await expect(source.Move(target.Id)).rejects.toBeInstanceOf(ServiceResponseException);
    const holder = await createFolder("Holder", target.Id);
    const moved = await source.Move(holder.Id);
    expect(moved.Id.UniqueId).toBe(source.Id.UniqueId);
    expect(server.folderId(box, "Client Target/Holder/Client Source")).toBe(source.Id.UniqueId);
    const children = await service.FindFolders(target.Id, new FolderView(10));
    expect(children.Folders.map((f) => f.DisplayName).sort()).toEqual(["Client Source", "Holder"]);
    await target.Empty(DeleteMode.HardDelete, true);
    const after = await service.FindFolders(target.Id, new FolderView(10));
    expect(after.TotalCount).toBe(0);
    await expect(Folder.Bind(service, source.Id)).rejects.toBeInstanceOf(ServiceResponseException);
  });

  it("converts ids between formats", async () => {
    const item = server.listItems(box, "inbox")[0]!;
    const hex = (await service.ConvertId(
      new AlternateId(IdFormat.EwsId, item, box),
      IdFormat.HexEntryId,
    )) as AlternateId;
    expect(hex.Format).toBe(IdFormat.HexEntryId);
    expect(hex.UniqueId).toMatch(/^[0-9A-F]+$/);
    const back = (await service.ConvertId(
      new AlternateId(IdFormat.HexEntryId, hex.UniqueId, box),
      IdFormat.EwsId,
    )) as AlternateId;
    expect(back.UniqueId).toBe(item);
  });

  it("resolves names, expands a distribution list, lists room lists and rooms", async () => {
    const resolved = await service.ResolveName("room", ResolveNameSearchLocation.DirectoryOnly, true);
    expect(resolved.Count).toBe(5);
    expect(
      resolved
        .GetEnumerator()
        .map((r) => r.Mailbox.Address)
        .sort(),
    ).toContain("room-orion@contoso.test");
    const one = await service.ResolveName(
      server.mailboxes[1]!,
      ResolveNameSearchLocation.DirectoryOnly,
      true,
    );
    expect(one.Count).toBe(1);
    expect(one._getItem(0).Contact?.DisplayName).toBe(
      server.directory.get(server.mailboxes[1]!)?.displayName,
    );
    const group = await service.ExpandGroup("all-staff@contoso.test");
    expect(group.GetEnumerator().map((m) => m.Address)).toEqual([
      ...server.mailboxes,
      "team-leads@contoso.test",
      "support@contoso.test",
    ]);
    expect(group.IncludesAllMembers).toBe(true);
    const lists = await service.GetRoomLists();
    expect(lists.GetEnumerator().map((a) => a.Address)).toEqual([
      "rooms-annex@contoso.test",
      "rooms-hq@contoso.test",
    ]);
    const rooms = await service.GetRooms(new EmailAddress("rooms-hq@contoso.test"));
    expect(rooms.map((r) => r.Address)).toEqual(["room-orion@contoso.test", "room-lyra@contoso.test"]);
  });

  it("reads free/busy with GetUserAvailability", async () => {
    const template = server.getItem(server.listItems(box, "calendar")[0]!);
    server.addItem(box, "calendar", {
      ...template,
      subject: "Client meeting",
      sensitivity: "Normal",
      calendar: {
        ...template.calendar!,
        start: "2030-05-06T09:00:00Z",
        end: "2030-05-06T10:00:00Z",
        legacyFreeBusyStatus: "Busy",
        recurrence: undefined,
      },
    });
    const results = await service.GetUserAvailability(
      [new AttendeeInfo(box), new AttendeeInfo("room-orion@contoso.test")],
      new TimeWindow(DateTime.Parse("2030-05-06T00:00:00Z"), DateTime.Parse("2030-05-07T00:00:00Z")),
      AvailabilityData.FreeBusy,
    );
    const [mine, room] = results.AttendeesAvailability.Responses;
    const events = mine!.CalendarEvents.map((e) => [
      e.StartTime.ToISOString(),
      e.EndTime.ToISOString(),
      e.FreeBusyStatus,
    ]);
    expect(events).toContainEqual(["2030-05-06T09:00:00.000Z", "2030-05-06T10:00:00.000Z", 2]);
    expect(mine!.CalendarEvents.find((e) => e.Details?.Subject === "Client meeting")).toBeDefined();
    expect(room!.CalendarEvents).toEqual([]);
  });

  it("reads user settings from SOAP autodiscover", async () => {
    const autodiscover = new AutodiscoverService(
      new Uri(server.url.replace(/\/EWS\/Exchange\.asmx$/, "/autodiscover/autodiscover.svc")),
      ExchangeVersion.Exchange2016,
    );
    autodiscover.Credentials = new WebCredentials(server.credentials.username, server.credentials.password);
    const response = await autodiscover.GetUserSettings(box, [
      UserSettingName.InternalEwsUrl,
      UserSettingName.ExternalEwsUrl,
      UserSettingName.UserDisplayName,
      UserSettingName.CasVersion,
      UserSettingName.EwsSupportedSchemas,
      UserSettingName.InternalOABUrl,
    ]);
    expect(response.Settings.get(UserSettingName.ExternalEwsUrl)).toBe(server.url);
    expect(response.Settings.get(UserSettingName.UserDisplayName)).toBe(
      server.directory.get(box)?.displayName,
    );
    expect(response.Settings.get(UserSettingName.CasVersion)).toBe("15.01.2507.006");
    expect(response.UserSettingErrors.map((e) => e.SettingName)).toEqual(["InternalOABUrl"]);
  });
});
