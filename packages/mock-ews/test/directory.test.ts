// The address book: seeded entries, the in-process API, and the operations that read it
// (FindPeople paging, ResolveNames, ExpandDL, GetRoomLists/GetRooms, GetMailTips,
// GetSearchableMailboxes).
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { responseCodes, soap } from "./helpers.js";

const findPeople = (offset: number, max: number, query?: string) =>
  `<m:FindPeople><m:IndexedPageItemView BasePoint="Beginning" MaxEntriesReturned="${max}" Offset="${offset}"/>${query === undefined ? "" : `<m:QueryString>${query}</m:QueryString>`}</m:FindPeople>`;

function personas(text: string): { type: string; address: string; mailboxType: string }[] {
  return [...text.matchAll(/<t:Persona>(.*?)<\/t:Persona>/g)].map((m) => ({
    type: /<t:PersonaType>([^<]+)</.exec(m[1]!)![1]!,
    address: /<t:EmailAddress><t:Name>[^<]*<\/t:Name><t:EmailAddress>([^<]+)</.exec(m[1]!)![1]!,
    mailboxType: /<t:MailboxType>([^<]+)</.exec(m[1]!)![1]!,
  }));
}

describe("address book", () => {
  let server: MockEwsServer;

  beforeAll(async () => {
    server = await startMockEwsServer({ seed: 41, mailboxes: 4, itemsPerMailbox: 10 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("is seeded deterministically: the store's mailboxes plus shared, room, equipment mailboxes and lists", async () => {
    const entries = server.directory.entries();
    const kinds = (kind: string) => entries.filter((e) => e.kind === kind).map((e) => e.smtpAddress);
    expect(kinds("User").sort()).toEqual([...server.mailboxes].sort());
    expect(kinds("Shared")).toEqual(["info@contoso.test", "support@contoso.test"]);
    expect(kinds("Room").sort()).toEqual([
      "room-lyra@contoso.test",
      "room-orion@contoso.test",
      "room-vega@contoso.test",
    ]);
    expect(kinds("Equipment").sort()).toEqual(["pool-car@contoso.test", "projector-1@contoso.test"]);
    expect(kinds("RoomList").sort()).toEqual(["rooms-annex@contoso.test", "rooms-hq@contoso.test"]);
    expect(kinds("DistributionList").sort()).toEqual(["all-staff@contoso.test", "team-leads@contoso.test"]);
    expect(
      entries
        .filter((e) => e.hasMailbox)
        .map((e) => e.smtpAddress)
        .sort(),
    ).toEqual([...server.mailboxes].sort());
    const again = await startMockEwsServer({ seed: 41, mailboxes: 4, itemsPerMailbox: 10 });
    try {
      expect(again.directory.entries()).toEqual(entries);
    } finally {
      await again.stop();
    }
  });

  it("FindPeople pages over every visible entry with the mailbox type information", async () => {
    const total = server.directory.entries().length;
    const seen: ReturnType<typeof personas> = [];
    for (let offset = 0; ; offset += 4) {
      const page = await soap(server, findPeople(offset, 4));
      expect(responseCodes(page.text)).toEqual(["NoError"]);
      expect(page.text).toContain(`<m:TotalNumberOfPeopleInView>${total}</m:TotalNumberOfPeopleInView>`);
      expect(page.text).toContain(`<m:FirstLoadedRowIndex>${offset}</m:FirstLoadedRowIndex>`);
      const got = personas(page.text);
      seen.push(...got);
      if (got.length < 4) break;
    }
    expect(seen).toHaveLength(total);
    const byAddress = new Map(seen.map((p) => [p.address, p]));
    expect(byAddress.get(server.mailboxes[0]!)).toEqual({
      type: "Person",
      address: server.mailboxes[0],
      mailboxType: "Mailbox",
    });
    expect(byAddress.get("support@contoso.test")?.type).toBe("Person");
    expect(byAddress.get("room-orion@contoso.test")?.type).toBe("Room");
    expect(byAddress.get("projector-1@contoso.test")?.type).toBe("Equipment");
    expect(byAddress.get("all-staff@contoso.test")).toMatchObject({
      type: "DistributionList",
      mailboxType: "PublicDL",
    });
    const rooms = personas((await soap(server, findPeople(0, 100, "room"))).text);
    expect(rooms.map((p) => p.address).sort()).toEqual([
      "room-lyra@contoso.test",
      "room-orion@contoso.test",
      "room-vega@contoso.test",
      "rooms-annex@contoso.test",
      "rooms-hq@contoso.test",
    ]);
  });

  it("FindPeople over the distinguished folder directory is the address book; over a contacts folder, its contacts", async () => {
    const gal = await soap(
      server,
      `<m:FindPeople Traversal="Shallow"><m:IndexedPageItemView BasePoint="Beginning" MaxEntriesReturned="500" Offset="0"/><m:ParentFolderId><t:DistinguishedFolderId Id="directory"/></m:ParentFolderId></m:FindPeople>`,
    );
    expect(personas(gal.text)).toHaveLength(server.directory.entries().length);
    const box = server.mailboxes[0]!;
    const template = server.getItem(server.listItems(box, "inbox")[0]!);
    server.addItem(box, "contacts", {
      ...template,
      itemClass: "IPM.Contact",
      subject: "Grace Hopper",
      contact: {
        givenName: "Grace",
        surname: "Hopper",
        companyName: "Navy",
        jobTitle: "Rear Admiral",
        emailAddresses: ["grace@example.test"],
      },
    });
    const contacts = await soap(
      server,
      `<m:FindPeople><m:IndexedPageItemView BasePoint="Beginning" MaxEntriesReturned="500" Offset="0"/><m:ParentFolderId><t:DistinguishedFolderId Id="contacts"/></m:ParentFolderId><m:QueryString>grace</m:QueryString></m:FindPeople>`,
    );
    expect(responseCodes(contacts.text)).toEqual(["NoError"]);
    expect(personas(contacts.text)).toEqual([
      { type: "Person", address: "grace@example.test", mailboxType: "Contact" },
    ]);
    expect(contacts.text).toContain("<t:CompanyName>Navy</t:CompanyName>");
    // GetPersona (what exchangelib asks for every FindPeople result) answers both kinds.
    const contactId = /<t:PersonaId Id="([^"]+)"/.exec(contacts.text)![1]!;
    const galId = /<t:PersonaId Id="([^"]+)"/.exec(gal.text)![1]!;
    for (const id of [contactId, galId]) {
      const persona = await soap(server, `<m:GetPersona><m:PersonaId Id="${id}"/></m:GetPersona>`);
      expect(responseCodes(persona.text)).toEqual(["NoError"]);
      expect(persona.text).toContain(`<m:Persona><t:PersonaId Id="${id}"/>`);
    }
    const missing = await soap(server, `<m:GetPersona><m:PersonaId Id="AAAA"/></m:GetPersona>`);
    expect(responseCodes(missing.text)).toEqual(["ErrorItemNotFound"]);
  });

  it("entries added, reclassified and hidden through the in-process API show at once", async () => {
    server.directory.add({ smtpAddress: "board@contoso.test", displayName: "Board Room", kind: "Room" });
    server.directory.add({
      smtpAddress: "rooms-hq@contoso.test",
      displayName: "HQ Rooms",
      kind: "RoomList",
      members: ["room-orion@contoso.test", "room-lyra@contoso.test", "board@contoso.test"],
    });
    server.directory.setKind(server.mailboxes[3]!, "Shared");
    server.directory.add({
      smtpAddress: "secret@contoso.test",
      displayName: "Hidden One",
      kind: "User",
      hidden: true,
    });
    const rooms = await soap(
      server,
      `<m:GetRooms><m:RoomList><t:EmailAddress>rooms-hq@contoso.test</t:EmailAddress></m:RoomList></m:GetRooms>`,
    );
    expect([...rooms.text.matchAll(/<t:EmailAddress>([^<]+)</g)].map((m) => m[1])).toEqual([
      "room-orion@contoso.test",
      "room-lyra@contoso.test",
      "board@contoso.test",
    ]);
    expect(server.directory.get(server.mailboxes[3]!)).toMatchObject({ kind: "Shared", hasMailbox: true });
    const hidden = await soap(server, findPeople(0, 100, "hidden"));
    expect(personas(hidden.text)).toEqual([]);
    expect(() => server.directory.add({ smtpAddress: "nope", displayName: "x", kind: "User" })).toThrow(
      expect.objectContaining({ code: "INVALID_DIRECTORY_ENTRY" }),
    );
    server.directory.remove("board@contoso.test");
    server.directory.remove("secret@contoso.test");
    server.directory.setKind(server.mailboxes[3]!, "User");
  });

  it("ResolveNames: one match Success, several a Warning, at most 100 with paging attributes, full contact data", async () => {
    const one = await soap(
      server,
      `<m:ResolveNames ReturnFullContactData="true"><m:UnresolvedEntry>SMTP:${server.mailboxes[1]}</m:UnresolvedEntry></m:ResolveNames>`,
    );
    expect(responseCodes(one.text)).toEqual(["NoError"]);
    expect(one.text).toContain("<t:ContactSource>ActiveDirectory</t:ContactSource>");
    expect(one.text).toContain('TotalItemsInView="1" IncludesLastItemInRange="true"');
    for (let i = 0; i < 120; i++) {
      server.directory.add({
        smtpAddress: `bulk-${i}@contoso.test`,
        displayName: `Bulk User ${i}`,
        kind: "User",
      });
    }
    try {
      const many = await soap(
        server,
        `<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>bulk</m:UnresolvedEntry></m:ResolveNames>`,
      );
      expect(responseCodes(many.text)).toEqual(["ErrorNameResolutionMultipleResults"]);
      expect(many.text).toContain('ResponseClass="Warning"');
      expect(many.text).toContain('TotalItemsInView="120" IncludesLastItemInRange="false"');
      expect(many.text.match(/<t:Resolution>/g)).toHaveLength(100);
    } finally {
      for (let i = 0; i < 120; i++) server.directory.remove(`bulk-${i}@contoso.test`);
    }
    const none = await soap(
      server,
      `<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>zzzz-nobody</m:UnresolvedEntry></m:ResolveNames>`,
    );
    // The mailbox's contacts resolve too (default scope ActiveDirectoryContacts), as Contact entries.
    const contact = await soap(
      server,
      `<m:ResolveNames ReturnFullContactData="true"><m:UnresolvedEntry>hopper</m:UnresolvedEntry></m:ResolveNames>`,
    );
    expect(responseCodes(contact.text)).toEqual(["NoError"]);
    expect(contact.text).toMatch(
      /<t:EmailAddress>grace@example.test<\/t:EmailAddress><t:RoutingType>SMTP<\/t:RoutingType><t:MailboxType>Contact<\/t:MailboxType><t:ItemId Id="[^"]+" ChangeKey="[^"]+"\/>/,
    );
    expect(contact.text).toContain("<t:ContactSource>Store</t:ContactSource>");
    const adOnly = await soap(
      server,
      `<m:ResolveNames ReturnFullContactData="false" SearchScope="ActiveDirectory"><m:UnresolvedEntry>hopper</m:UnresolvedEntry></m:ResolveNames>`,
    );
    expect(responseCodes(adOnly.text)).toEqual(["ErrorNameResolutionNoResults"]);
    expect(responseCodes(none.text)).toEqual(["ErrorNameResolutionNoResults"]);
  });

  it("ExpandDL lists direct members, nested lists as PublicDL; GetRoomLists lists the room lists", async () => {
    const all = await soap(
      server,
      `<m:ExpandDL><m:Mailbox><t:EmailAddress>all-staff@contoso.test</t:EmailAddress></m:Mailbox></m:ExpandDL>`,
    );
    expect(responseCodes(all.text)).toEqual(["NoError"]);
    const members = [
      ...all.text.matchAll(
        /<t:EmailAddress>([^<]+)<\/t:EmailAddress><t:RoutingType>SMTP<\/t:RoutingType><t:MailboxType>(\w+)</g,
      ),
    ].map((m) => [m[1], m[2]]);
    expect(members).toEqual([
      ...server.mailboxes.map((m) => [m, "Mailbox"]),
      ["team-leads@contoso.test", "PublicDL"],
      ["support@contoso.test", "Mailbox"],
    ]);
    expect(all.text).toContain(
      `TotalItemsInView="${server.mailboxes.length + 2}" IncludesLastItemInRange="true"`,
    );
    const user = await soap(
      server,
      `<m:ExpandDL><m:Mailbox><t:EmailAddress>${server.mailboxes[0]}</t:EmailAddress></m:Mailbox></m:ExpandDL>`,
    );
    expect(responseCodes(user.text)).toEqual(["ErrorNameResolutionNoResults"]);
    const lists = await soap(server, "<m:GetRoomLists/>");
    expect([...lists.text.matchAll(/<t:EmailAddress>([^<]+)</g)].map((m) => m[1])).toEqual([
      "rooms-annex@contoso.test",
      "rooms-hq@contoso.test",
    ]);
  });

  it("GetMailTips answers the requested tips per recipient", async () => {
    const tips = await soap(
      server,
      `<m:GetMailTips><m:SendingAs><t:EmailAddress>${server.mailboxes[0]}</t:EmailAddress></m:SendingAs><m:Recipients><t:Mailbox><t:EmailAddress>all-staff@contoso.test</t:EmailAddress></t:Mailbox><t:Mailbox><t:EmailAddress>ghost@contoso.test</t:EmailAddress></t:Mailbox><t:Mailbox><t:EmailAddress>${server.mailboxes[1]}</t:EmailAddress></t:Mailbox></m:Recipients><m:MailTipsRequested>TotalMemberCount InvalidRecipient MailboxFullStatus</m:MailTipsRequested></m:GetMailTips>`,
    );
    expect(responseCodes(tips.text)).toEqual(["NoError", "NoError", "NoError", "NoError"]);
    const each = [...tips.text.matchAll(/<m:MailTips>(.*?)<\/m:MailTips>/g)].map((m) => m[1]!);
    expect(each).toHaveLength(3);
    // all-staff: every user, team-leads' members (already counted), support.
    expect(each[0]).toContain(`<t:TotalMemberCount>${server.mailboxes.length + 1}</t:TotalMemberCount>`);
    expect(each[1]).toContain("<t:InvalidRecipient>true</t:InvalidRecipient>");
    expect(each[2]).toContain("<t:MailboxFull>false</t:MailboxFull>");
    expect(each[2]).not.toContain("MaxMessageSize");
    // exchangelib 4.x puts the tip list in the element's own text: read it too.
    const lenient = await soap(
      server,
      `<m:GetMailTips><m:SendingAs><t:EmailAddress>${server.mailboxes[0]}</t:EmailAddress></m:SendingAs><m:Recipients><t:Mailbox><t:EmailAddress>${server.mailboxes[1]}</t:EmailAddress></t:Mailbox></m:Recipients>All</m:GetMailTips>`,
    );
    expect(lenient.text).toContain("<t:MaxMessageSize>36700160</t:MaxMessageSize>");
  });

  it("GetSearchableMailboxes lists mailboxes and groups (or their members), only for a caller with rights", async () => {
    const list = await soap(server, "<m:GetSearchableMailboxes/>");
    expect(list.text).toContain("<t:PrimarySmtpAddress>all-staff@contoso.test</t:PrimarySmtpAddress>");
    expect(list.text).toMatch(/all-staff@contoso.test<\/t:PrimarySmtpAddress>.*?<t:IsMembershipGroup>true</);
    const expanded = await soap(
      server,
      "<m:GetSearchableMailboxes><m:SearchFilter>all</m:SearchFilter><m:ExpandGroupMembership>true</m:ExpandGroupMembership></m:GetSearchableMailboxes>",
    );
    expect(expanded.text).not.toContain("all-staff@contoso.test");
    expect(expanded.text).toContain(`<t:PrimarySmtpAddress>${server.mailboxes[2]}</t:PrimarySmtpAddress>`);
    const denied = await startMockEwsServer({
      seed: 41,
      mailboxes: 4,
      itemsPerMailbox: 1,
      users: [{ username: "one", password: "pw", impersonate: [server.mailboxes[0]!] }],
    });
    try {
      const answer = await soap(denied, "<m:GetSearchableMailboxes/>", {
        auth: `Basic ${Buffer.from("one:pw").toString("base64")}`,
      });
      expect(responseCodes(answer.text)).toEqual(["ErrorAccessDenied"]);
    } finally {
      await denied.stop();
    }
  });
});
