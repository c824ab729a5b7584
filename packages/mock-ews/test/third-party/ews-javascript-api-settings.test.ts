// ews-javascript-api, unmodified, on the mailbox settings: it reads the seeded inbox rules, OOF
// settings, delegates and folder permissions, and writes a rule, OOF settings and a delegate
// that the in-process API then sees.
import "./node-util-shim.js";
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import {
  BasePropertySet,
  CreateRuleOperation,
  DateTime,
  DelegateFolderPermissionLevel,
  DelegateUser,
  type ExchangeService,
  Folder,
  FolderSchema,
  Mailbox,
  MeetingRequestsDeliveryScope,
  OofExternalAudience,
  OofReply,
  OofSettings,
  OofState,
  PropertySet,
  Rule,
  TimeWindow,
  UserConfiguration,
  UserConfigurationProperties,
  WellKnownFolderName,
} from "ews-javascript-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { impersonatingService } from "./ews-js-service.js";

describe("ews-javascript-api on mailbox settings", () => {
  let server: MockEwsServer;
  let service: ExchangeService;
  let box: string;

  beforeAll(async () => {
    server = await startMockEwsServer({ seed: 16, mailboxes: 4, itemsPerMailbox: 10 });
    box = server.mailboxes[0]!;
    service = impersonatingService(server, box);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("GetInboxRules reads the seeded rules; UpdateInboxRules creates one", async () => {
    const seeded = server.settings.rules(box);
    const rules = await service.GetInboxRules(box);
    expect(rules.Count).toBe(seeded.length);
    const first = rules._getItem(0);
    expect(first.Id).toBe(seeded[0]!.id);
    expect(first.DisplayName).toBe(seeded[0]!.displayName);
    expect(first.IsEnabled).toBe(seeded[0]!.isEnabled);
    const move = rules
      .GetEnumerator()
      .find((r) => r.Actions.MoveToFolder !== null && r.Actions.MoveToFolder !== undefined);
    const seededMove = seeded.find((r) => r.actions.MoveToFolder !== undefined);
    expect(move?.Actions.MoveToFolder.UniqueId).toBe(seededMove?.actions.MoveToFolder);

    const rule = new Rule();
    rule.DisplayName = "js rule";
    rule.Priority = 1;
    rule.IsEnabled = true;
    rule.Conditions.ContainsSubjectStrings.Add("js");
    rule.Actions.MarkAsRead = true;
    await service.UpdateInboxRules([new CreateRuleOperation(rule)], true);
    const after = server.settings.rules(box);
    expect(after[0]).toMatchObject({
      displayName: "js rule",
      conditions: { ContainsSubjectStrings: ["js"] },
      actions: { MarkAsRead: true },
    });
  });

  it("GetUserOofSettings reads the OOF settings; SetUserOofSettings changes them", async () => {
    const seeded = server.settings.oof(box);
    const oof = await service.GetUserOofSettings(box);
    expect(OofState[oof.State]).toBe(seeded.state);
    expect(OofExternalAudience[oof.ExternalAudience]).toBe(seeded.externalAudience);
    expect(oof.InternalReply.Message).toBe(seeded.internalReply);

    const next = new OofSettings();
    next.State = OofState.Scheduled;
    next.ExternalAudience = OofExternalAudience.Known;
    next.Duration = new TimeWindow(
      new DateTime(Date.UTC(2026, 5, 1, 8)),
      new DateTime(Date.UTC(2026, 5, 20, 17)),
    );
    next.InternalReply = new OofReply("inside");
    next.ExternalReply = new OofReply("outside");
    await service.SetUserOofSettings(box, next);
    expect(server.settings.oof(box)).toMatchObject({
      state: "Scheduled",
      externalAudience: "Known",
      start: "2026-06-01T08:00:00Z",
      end: "2026-06-20T17:00:00Z",
      internalReply: "inside",
      externalReply: "outside",
    });
  });

  it("GetDelegates reads the delegates; AddDelegates adds one", async () => {
    const owner = server.mailboxes.find((m) => server.settings.delegates(m).length > 0)!;
    const seeded = server.settings.delegates(owner);
    const info = await service.GetDelegates(new Mailbox(owner), true);
    expect(info.DelegateUserResponses.map((r) => r.DelegateUser.UserId.PrimarySmtpAddress)).toEqual(
      seeded.map((d) => d.smtpAddress),
    );
    const calendar = info.DelegateUserResponses[0]!.DelegateUser.Permissions.CalendarFolderPermissionLevel;
    expect(DelegateFolderPermissionLevel[calendar]).toBe(seeded[0]!.permissions.Calendar);

    const newcomer = server.mailboxes.find((m) => m !== owner && !seeded.some((d) => d.smtpAddress === m))!;
    const user = new DelegateUser(newcomer);
    user.Permissions.CalendarFolderPermissionLevel = DelegateFolderPermissionLevel.Reviewer;
    user.ViewPrivateItems = true;
    const responses = await service.AddDelegates(
      new Mailbox(owner),
      MeetingRequestsDeliveryScope.DelegatesOnly,
      [user],
    );
    expect(responses[0]!.ErrorCode).toBe(0);
    expect(server.settings.delegates(owner).at(-1)).toMatchObject({
      smtpAddress: newcomer,
      viewPrivateItems: true,
      permissions: { Calendar: "Reviewer" },
    });
    expect(server.settings.deliverMeetingRequests(owner)).toBe("DelegatesOnly");
  });

  it("UserConfiguration.Bind reads the category list; a new configuration round-trips", async () => {
    const categories = await UserConfiguration.Bind(
      service,
      "CategoryList",
      WellKnownFolderName.Calendar,
      UserConfigurationProperties.All,
    );
    const seeded = server.settings.configurations(box).find((c) => c.name === "CategoryList")!;
    expect(categories.XmlData).toBe(seeded.xmlData);
    expect(Buffer.from(categories.XmlData, "base64").toString("utf8")).toContain(
      '<category name="Blue category" color="7"',
    );

    const created = new UserConfiguration(service);
    created.Dictionary.Add("count", 7);
    created.Dictionary.Add("label", "seven");
    created.BinaryData = Buffer.from([1, 2, 3]).toString("base64");
    await created.Save("Js.Settings", WellKnownFolderName.Inbox);
    const bound = await UserConfiguration.Bind(
      service,
      "Js.Settings",
      WellKnownFolderName.Inbox,
      UserConfigurationProperties.All,
    );
    expect(bound.Dictionary._getItem("count")).toBe(7);
    expect(bound.Dictionary._getItem("label")).toBe("seven");
    expect(bound.BinaryData).toBe("AQID");
  });

  it("Folder.Bind reads the calendar's seeded permissions", async () => {
    const folder = await Folder.Bind(
      service,
      WellKnownFolderName.Calendar,
      new PropertySet(BasePropertySet.FirstClassProperties, [FolderSchema.Permissions]),
    );
    // Default, Anonymous and at least the seeded colleague with Reviewer rights.
    expect(folder.Permissions.Count).toBeGreaterThanOrEqual(3);
    const colleagues = folder.Permissions.GetEnumerator().filter((p) => p.UserId.PrimarySmtpAddress);
    expect(colleagues.map((p) => p.UserId.PrimarySmtpAddress)).not.toContain(box);
    expect(colleagues.some((p) => server.mailboxes.includes(p.UserId.PrimarySmtpAddress))).toBe(true);
  });
});
