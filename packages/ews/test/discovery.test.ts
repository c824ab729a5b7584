// Mailbox discovery: FindPeople paged with IndexedPageItemView (canned Exchange 2013+
// answers), the ResolveNames fallback when FindPeople is refused (canned Exchange 2010 answers
// with the 100-entry limit, and the mock as it is served), and the classification of rooms,
// equipment, lists and contacts.
import { startMockEwsServer } from "@ewsvault/mock-ews";
import { afterEach, describe, expect, it } from "vitest";
import { discoverMailboxes } from "../src/index.js";
import {
  type CannedServer,
  okMessage,
  send,
  soapFault,
  soapResponse,
  startCannedServer,
} from "./canned-server.js";

const auth = { kind: "basic", username: "admin@contoso.test", password: "pw" } as const;
const retry = { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 };
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

const ENVELOPE = (inner: string) =>
  `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>${inner}</s:Body></s:Envelope>`;
const NS =
  'xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"';

interface Person {
  smtp: string;
  name: string;
  type: string;
  mailboxType?: string;
}

function persona(p: Person): string {
  return `<t:Persona><t:PersonaId Id="${p.smtp}"/><t:PersonaType>${p.type}</t:PersonaType><t:DisplayName>${p.name}</t:DisplayName><t:EmailAddress><t:Name>${p.name}</t:Name><t:EmailAddress>${p.smtp}</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType><t:MailboxType>${p.mailboxType ?? "Mailbox"}</t:MailboxType></t:EmailAddress></t:Persona>`;
}

function findPeopleResponse(people: Person[], total: number): string {
  return ENVELOPE(
    `<m:FindPeopleResponse ResponseClass="Success" ${NS}><m:ResponseCode>NoError</m:ResponseCode><m:People>${people
      .map(persona)
      .join(
        "",
      )}</m:People><m:TotalNumberOfPeopleInView>${total}</m:TotalNumberOfPeopleInView></m:FindPeopleResponse>`,
  );
}

const attribute = (body: string, name: string) => Number(new RegExp(`${name}="(\\d+)"`).exec(body)?.[1]);

describe("discoverMailboxes over FindPeople", () => {
  it("pages the directory with IndexedPageItemView and classifies every entry", async () => {
    const people: Person[] = [
      ...Array.from({ length: 23 }, (_, i) => ({
        smtp: `user${String(i).padStart(2, "0")}@contoso.test`,
        name: `User ${i}`,
        type: "Person",
      })),
      { smtp: "room-a@contoso.test", name: "Room A", type: "Room" },
      { smtp: "projector@contoso.test", name: "Projector", type: "Equipment" },
      { smtp: "all@contoso.test", name: "All", type: "DistributionList", mailboxType: "PublicDL" },
      { smtp: "partner@fabrikam.test", name: "Partner", type: "Person", mailboxType: "Contact" },
      // Only the room list names this one a room: PersonaType says Person.
      { smtp: "room-b@contoso.test", name: "Room B", type: "Person" },
    ];
    const server: CannedServer = await startCannedServer((request, res) => {
      if (request.operation === "GetRoomLists")
        return send(
          res,
          200,
          ENVELOPE(
            `<m:GetRoomListsResponse ResponseClass="Success" ${NS}><m:ResponseCode>NoError</m:ResponseCode><m:RoomLists><t:Address><t:Name>HQ</t:Name><t:EmailAddress>rooms@contoso.test</t:EmailAddress></t:Address></m:RoomLists></m:GetRoomListsResponse>`,
          ),
        );
      if (request.operation === "GetRooms")
        return send(
          res,
          200,
          ENVELOPE(
            `<m:GetRoomsResponse ResponseClass="Success" ${NS}><m:ResponseCode>NoError</m:ResponseCode><m:Rooms><t:Room><t:Id><t:Name>Room B</t:Name><t:EmailAddress>ROOM-B@contoso.test</t:EmailAddress></t:Id></t:Room></m:Rooms></m:GetRoomsResponse>`,
          ),
        );
      const offset = attribute(request.body, "Offset");
      const max = attribute(request.body, "MaxEntriesReturned");
      send(res, 200, findPeopleResponse(people.slice(offset, offset + max), people.length));
    });
    stops.push(server.stop);
    const result = await discoverMailboxes({
      url: server.url,
      auth,
      allowInsecureAuth: true,
      pageSize: 10,
      retry,
    });
    expect(result.method).toBe("FindPeople");
    const pages = server.requests.filter((r) => r.operation === "FindPeople");
    expect(pages.map((r) => attribute(r.body, "Offset"))).toEqual([0, 10, 20]);
    expect(pages[0]!.body).toContain('<t:DistinguishedFolderId Id="directory"/>');
    expect(result.mailboxes).toHaveLength(26);
    const kinds = Object.fromEntries(result.mailboxes.map((m) => [m.smtpAddress, m.kind]));
    expect(kinds["room-a@contoso.test"]).toBe("room");
    expect(kinds["room-b@contoso.test"]).toBe("room");
    expect(kinds["projector@contoso.test"]).toBe("equipment");
    expect(kinds["user07@contoso.test"]).toBe("user");
    expect(kinds["all@contoso.test"]).toBeUndefined();
    expect(kinds["partner@fabrikam.test"]).toBeUndefined();
  });

  it("a wrong password fails discovery with EWS_AUTH_FAILED instead of falling back", async () => {
    const server = await startCannedServer((_request, res) =>
      send(res, 401, "", { "www-authenticate": "Basic" }),
    );
    stops.push(server.stop);
    await expect(
      discoverMailboxes({ url: server.url, auth, allowInsecureAuth: true, retry }),
    ).rejects.toMatchObject({
      code: "EWS_AUTH_FAILED",
    });
  });
});

describe("discoverMailboxes over ResolveNames when FindPeople is refused", () => {
  it("refines truncated SMTP prefixes until every one of 150 mailboxes is found (Exchange 2010)", async () => {
    const addresses = Array.from({ length: 150 }, (_, i) => `a${String(i).padStart(3, "0")}@contoso.test`);
    addresses.push("bob@contoso.test");
    const server = await startCannedServer((request, res) => {
      if (request.operation !== "ResolveNames")
        // Exchange 2010 does not know FindPeople or GetRoomLists' 2013 shape: a schema fault.
        return send(res, 500, soapFault("ErrorSchemaValidation"));
      const query = /<m:UnresolvedEntry>SMTP:([^<]*)</.exec(request.body)![1]!;
      const hits = addresses.filter((a) => a.startsWith(query));
      if (hits.length === 0)
        return send(
          res,
          200,
          soapResponse("ResolveNames", [
            `<m:ResolveNamesResponseMessage ResponseClass="Error"><m:MessageText>No results were found.</m:MessageText><m:ResponseCode>ErrorNameResolutionNoResults</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey></m:ResolveNamesResponseMessage>`,
          ]),
        );
      const shown = hits.slice(0, 100);
      const set = `<m:ResolutionSet TotalItemsInView="${hits.length}" IncludesLastItemInRange="${hits.length <= 100}">${shown
        .map(
          (a) =>
            `<t:Resolution><t:Mailbox><t:Name>${a}</t:Name><t:EmailAddress>${a}</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType><t:MailboxType>Mailbox</t:MailboxType></t:Mailbox></t:Resolution>`,
        )
        .join("")}</m:ResolutionSet>`;
      send(res, 200, soapResponse("ResolveNames", [okMessage("ResolveNames", set)]));
    });
    stops.push(server.stop);
    const result = await discoverMailboxes({ url: server.url, auth, allowInsecureAuth: true, retry });
    expect(result.method).toBe("ResolveNames");
    expect(result.fallbackReason).toMatch(/ErrorSchemaValidation/);
    expect(result.mailboxes.map((m) => m.smtpAddress)).toEqual([...addresses].sort());
    const queries = server.requests
      .filter((r) => r.operation === "ResolveNames")
      .map((r) => /SMTP:([^<]*)/.exec(r.body)![1]);
    expect(queries).toContain("a0"); // "a" was truncated at 100, so it was refined
    expect(queries).not.toContain("b0"); // "b" was complete
  });

  it("finds every mailbox of the mock (which serves ResolveNames)", async () => {
    const server = await startMockEwsServer({ seed: 5, mailboxes: 6, itemsPerMailbox: 1 });
    stops.push(server.stop);
    const result = await discoverMailboxes({
      url: server.url,
      allowInsecureAuth: true,
      auth: { kind: "basic", ...server.credentials },
      retry,
    });
    const found = result.mailboxes.map((m) => m.smtpAddress.toLowerCase());
    for (const mailbox of server.mailboxes) expect(found).toContain(mailbox.toLowerCase());
  });
});
