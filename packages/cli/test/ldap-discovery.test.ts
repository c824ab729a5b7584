// Mailbox discovery through LDAP against a real directory server: Debian's slapd (installed on
// demand) on loopback with StartTLS and a self-signed certificate, holding users, shared, room
// and equipment mailboxes, a remote mailbox and a contact, as Active Directory would describe
// them (msExchRecipientTypeDetails; a test schema declares the attribute, which OpenLDAP lacks).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ensureCommand, freePort, selfSignedCert, tempDir, waitForPort } from "@ewsvault/testkit";
import { Client } from "ldapts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discoverMailboxesLdap, kindOfRecipient } from "../src/ldap-discovery.js";
import { resolveMailboxes } from "../src/mailbox-list.js";
import { cli } from "./helpers.js";

const BASE = "dc=contoso,dc=test";
const ADMIN = `cn=admin,${BASE}`;
const ADMIN_PW = "slapd-admin-pw";
const SVC = `cn=svc-backup,ou=people,${BASE}`;
const SVC_PW = "svc backup pw";

const SCHEMA = `attributetype ( 1.3.6.1.4.1.99999.77.1.1 NAME 'msExchRecipientTypeDetails'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.99999.77.2.1 NAME 'ewsvaultTestRecipient' SUP top AUXILIARY
  MAY ( msExchRecipientTypeDetails ) )
`;

const RECIPIENTS: Array<[string, string, number | undefined]> = [
  ...Array.from({ length: 12 }, (_, i): [string, string, number] => [`user${i}`, `User ${i}`, 1]),
  ["support", "Support", 4],
  ["room-orion", "Room Orion", 16],
  ["projector", "Projector", 32],
  ["cloud-user", "Moved to Exchange Online", 2147483648], // RemoteUserMailbox: not on premises
  ["partner", "Partner Contact", 64], // MailContact
  ["no-exchange", "No Exchange attributes", undefined],
];

let slapd: ChildProcess | undefined;
let work: { path: string; cleanup: () => Promise<void> };
let url: string;
let caFile: string;

beforeAll(async () => {
  const binary = ensureCommand("slapd", "slapd");
  work = await tempDir();
  const cert = selfSignedCert(work.path);
  caFile = cert.certPath;
  await mkdir(join(work.path, "data"));
  await writeFile(join(work.path, "exchange.schema"), SCHEMA);
  await writeFile(
    join(work.path, "slapd.conf"),
    [
      "include /etc/ldap/schema/core.schema",
      "include /etc/ldap/schema/cosine.schema",
      "include /etc/ldap/schema/inetorgperson.schema",
      `include ${join(work.path, "exchange.schema")}`,
      `pidfile ${join(work.path, "slapd.pid")}`,
      "modulepath /usr/lib/ldap",
      "moduleload back_mdb",
      `TLSCertificateFile ${cert.certPath}`,
      `TLSCertificateKeyFile ${cert.keyPath}`,
      // A simple bind with a password must come over TLS, as against Active Directory.
      "security simple_bind=128",
      "database mdb",
      `suffix "${BASE}"`,
      `rootdn "${ADMIN}"`,
      `rootpw ${ADMIN_PW}`,
      `directory ${join(work.path, "data")}`,
      "access to * by * read",
    ].join("\n"),
  );
  const port = await freePort();
  url = `ldap://127.0.0.1:${port}`;
  slapd = spawn(binary, ["-d", "0", "-f", join(work.path, "slapd.conf"), "-h", `${url}/`], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  slapd.stderr!.on("data", (chunk: Buffer) => {
    log += chunk.toString();
  });
  await waitForPort(port).catch((error) => {
    throw new Error(`slapd did not start: ${log.slice(-1500)}`, { cause: error });
  });

  const admin = new Client({ url });
  await admin.startTLS({ ca: cert.cert, host: "127.0.0.1" });
  await admin.bind(ADMIN, ADMIN_PW);
  await admin.add(BASE, { objectClass: ["dcObject", "organization"], dc: "contoso", o: "Contoso" });
  await admin.add(`ou=people,${BASE}`, { objectClass: "organizationalUnit", ou: "people" });
  await admin.add(SVC, {
    objectClass: "inetOrgPerson",
    cn: "svc-backup",
    sn: "backup",
    userPassword: SVC_PW,
  });
  for (const [local, name, details] of RECIPIENTS) {
    await admin.add(`cn=${local},ou=people,${BASE}`, {
      objectClass: ["inetOrgPerson", "ewsvaultTestRecipient"],
      cn: local,
      sn: name,
      displayName: name,
      mail: `${local}@contoso.test`,
      ...(details === undefined ? {} : { msExchRecipientTypeDetails: String(details) }),
    });
  }
  await admin.unbind();
}, 300_000);

afterAll(async () => {
  slapd?.kill("SIGTERM");
  await work?.cleanup();
});

describe("LDAP discovery against slapd", { timeout: 60_000 }, () => {
  it("finds every mailbox by paged search over StartTLS and classifies it by msExchRecipientTypeDetails", async () => {
    const result = await discoverMailboxesLdap({
      url,
      base: BASE,
      bindDn: SVC,
      password: SVC_PW,
      caFile,
      pageSize: 5,
    });
    expect(result.method).toBe("LDAP");
    const kinds = Object.fromEntries(result.mailboxes.map((m) => [m.smtpAddress, m.kind]));
    expect(Object.keys(kinds)).toHaveLength(15);
    expect(kinds["user7@contoso.test"]).toBe("user");
    expect(kinds["support@contoso.test"]).toBe("shared");
    expect(kinds["room-orion@contoso.test"]).toBe("room");
    expect(kinds["projector@contoso.test"]).toBe("equipment");
    for (const left of ["cloud-user", "partner", "no-exchange"])
      expect(kinds[`${left}@contoso.test`]).toBeUndefined();

    // The shared mailbox is a kind of its own here (EWS cannot tell): --mailbox-kind user leaves it out.
    const users = await resolveMailboxes(
      { allMailboxes: true, mailboxKind: ["user"] },
      {},
      async () => result,
    );
    expect(users.mailboxes).toHaveLength(12);
    expect(users.mailboxes).not.toContain("support@contoso.test");
  });

  it("reads the search base from the RootDSE when none is given", async () => {
    // slapd's RootDSE has namingContexts, not AD's defaultNamingContext: the error says so.
    await expect(discoverMailboxesLdap({ url, bindDn: SVC, password: SVC_PW, caFile })).rejects.toMatchObject(
      {
        code: "LDAP_FAILED",
        message: expect.stringMatching(/names no defaultNamingContext; give --ldap-base/),
      },
    );
  });

  it("refuses an untrusted certificate and a wrong password with LDAP_FAILED, never naming the password", async () => {
    await expect(
      discoverMailboxesLdap({ url, base: BASE, bindDn: SVC, password: SVC_PW }),
    ).rejects.toMatchObject({
      code: "LDAP_FAILED",
      message: expect.stringMatching(/certificate/i),
    });
    const wrong = await discoverMailboxesLdap({
      url,
      base: BASE,
      bindDn: SVC,
      password: "pw-7f3e9",
      caFile,
    }).catch((error: Error & { code: string }) => error);
    expect(wrong, String(wrong)).toMatchObject({
      code: "LDAP_FAILED",
      message: expect.stringMatching(/InvalidCredentialsError/),
    });
    expect(String((wrong as Error).message)).not.toContain("pw-7f3e9");
    expect(kindOfRecipient("4")).toBe("shared");
    expect(kindOfRecipient("2147483648")).toBeUndefined();
  });

  it("backup --all-mailboxes --ldap-url reads the directory (password from EWSVAULT_LDAP_PASSWORD_COMMAND)", async () => {
    const result = await cli(
      [
        "backup",
        "--all-mailboxes",
        "--ldap-url",
        url,
        "--ldap-base",
        BASE,
        "--ldap-bind-dn",
        SVC,
        "--ldap-ca-file",
        caFile,
        "--mailbox-kind",
        "room",
        "equipment",
        "--exclude-mailbox",
        "room-*",
        "projector*",
      ],
      { EWSVAULT_LDAP_PASSWORD_COMMAND: `printf '%s' '${SVC_PW}'` },
    );
    // Every room and device excluded: nothing left, after the directory listed all 15 mailboxes.
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(
      /^error NOTHING_MATCHED: no mailbox left to back up: the address book listed 15/m,
    );
  });
});
