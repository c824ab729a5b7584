// Autodiscover: the SOAP service (/autodiscover/autodiscover.svc, GetUserSettings) and the POX one
// (/autodiscover/autodiscover.xml). GetUserSettings answers exactly the settings asked for, per
// user in request order: the UserSettingName values Exchange 2016 knows and the mock can fill are
// UserSettings; known names it cannot fill are UserSettingErrors SettingIsNotAvailable; names
// Exchange does not know are UserSettingErrors InvalidSetting (MS-OXWSADISC's error codes).
import { createHash } from "node:crypto";
import type { Store } from "../store/mailbox-store.js";
import type { MailboxState } from "../store/records.js";
import { child, children, esc, parseXml, text, type XmlNode } from "../xml.js";
import { EXCHANGE_BUILD } from "./soap.js";

const NS_AUTODISCOVER = "http://schemas.microsoft.com/exchange/2010/Autodiscover";
const XSI = "http://www.w3.org/2001/XMLSchema-instance";

/** Every UserSettingName of Exchange 2016's Autodiscover schema. */
export const USER_SETTING_NAMES: readonly string[] = [
  "UserDisplayName",
  "UserDN",
  "UserDeploymentId",
  "InternalMailboxServer",
  "InternalRpcClientServer",
  "InternalMailboxServerDN",
  "InternalEcpUrl",
  "InternalEcpVoicemailUrl",
  "InternalEcpEmailSubscriptionsUrl",
  "InternalEcpTextMessagingUrl",
  "InternalEcpDeliveryReportUrl",
  "InternalEcpRetentionPolicyTagsUrl",
  "InternalEcpPublishingUrl",
  "InternalEcpPhotoUrl",
  "InternalEcpConnectUrl",
  "InternalEcpTeamMailboxUrl",
  "InternalEcpTeamMailboxCreatingUrl",
  "InternalEcpTeamMailboxEditingUrl",
  "InternalEcpTeamMailboxHidingUrl",
  "InternalEcpExtensionInstallationUrl",
  "InternalEwsUrl",
  "InternalEmwsUrl",
  "InternalOABUrl",
  "InternalPhotosUrl",
  "InternalUMUrl",
  "InternalWebClientUrls",
  "MailboxDN",
  "PublicFolderServer",
  "ActiveDirectoryServer",
  "ExternalMailboxServer",
  "ExternalMailboxServerRequiresSSL",
  "ExternalMailboxServerAuthenticationMethods",
  "EcpVoicemailUrlFragment",
  "EcpEmailSubscriptionsUrlFragment",
  "EcpTextMessagingUrlFragment",
  "EcpDeliveryReportUrlFragment",
  "EcpRetentionPolicyTagsUrlFragment",
  "EcpPublishingUrlFragment",
  "EcpPhotoUrlFragment",
  "EcpConnectUrlFragment",
  "EcpTeamMailboxUrlFragment",
  "EcpTeamMailboxCreatingUrlFragment",
  "EcpTeamMailboxEditingUrlFragment",
  "EcpExtensionInstallationUrlFragment",
  "ExternalEcpUrl",
  "ExternalEcpVoicemailUrl",
  "ExternalEcpEmailSubscriptionsUrl",
  "ExternalEcpTextMessagingUrl",
  "ExternalEcpDeliveryReportUrl",
  "ExternalEcpRetentionPolicyTagsUrl",
  "ExternalEcpPublishingUrl",
  "ExternalEcpPhotoUrl",
  "ExternalEcpConnectUrl",
  "ExternalEcpTeamMailboxUrl",
  "ExternalEcpTeamMailboxCreatingUrl",
  "ExternalEcpTeamMailboxEditingUrl",
  "ExternalEcpTeamMailboxHidingUrl",
  "ExternalEcpExtensionInstallationUrl",
  "ExternalEwsUrl",
  "ExternalEmwsUrl",
  "ExternalOABUrl",
  "ExternalPhotosUrl",
  "ExternalUMUrl",
  "ExternalWebClientUrls",
  "CrossOrganizationSharingEnabled",
  "AlternateMailboxes",
  "CasVersion",
  "EwsSupportedSchemas",
  "InternalPop3Connections",
  "ExternalPop3Connections",
  "InternalImap4Connections",
  "ExternalImap4Connections",
  "InternalSmtpConnections",
  "ExternalSmtpConnections",
  "InternalServerExclusiveConnect",
  "ExternalEwsVersion",
  "MobileMailboxPolicy",
  "DocumentSharingLocations",
  "UserMSOnline",
  "InternalMailboxServerAuthenticationMethods",
  "MailboxVersion",
  "SPMySiteHostURL",
  "SiteMailboxCreationURL",
  "InternalRpcHttpServer",
  "InternalRpcHttpConnectivityRequiresSsl",
  "InternalRpcHttpAuthenticationMethod",
  "ExternalServerExclusiveConnect",
  "ExchangeRpcUrl",
  "ShowGalAsDefaultView",
  "AutoDiscoverSMTPAddress",
  "InteropExternalEwsUrl",
  "InteropExternalEwsVersion",
  "PublicFolderInformation",
  "RedirectUrl",
  "EwsPartnerUrl",
  "CertPrincipalName",
  "GroupingInformation",
  "MapiHttpEnabled",
  "InternalOutlookServiceUrl",
  "ExternalOutlookServiceUrl",
];

const KNOWN = new Set(USER_SETTING_NAMES);

/** The schema versions EWS accepts in RequestServerVersion (protocol.ts checks the same list). */
const SUPPORTED_SCHEMAS =
  "Exchange2007, Exchange2007_SP1, Exchange2010, Exchange2010_SP1, Exchange2010_SP2, Exchange2013, Exchange2013_SP1, Exchange2015, Exchange2016";

/** CasVersion and ExternalEwsVersion: the EWS build, as Exchange writes it ("15.01.2507.006"). */
const CAS_VERSION = `${EXCHANGE_BUILD.major}.${String(EXCHANGE_BUILD.minor).padStart(2, "0")}.${EXCHANGE_BUILD.build}.${String(EXCHANGE_BUILD.revision).padStart(3, "0")}`;

/**
 * POX ServerVersion: the same build as ServerVersionInfo, in Exchange's 32-bit hex encoding —
 * 4 flag bits 0111, 6 bits major, 6 bits minor, one bit set, 15 bits build (the revision is not
 * encoded): Exchange 2010 SP1 14.1.218 is 738180DA, this server's 15.1.2507 is 73C189CB.
 */
export function poxServerVersion(build = EXCHANGE_BUILD): string {
  const value = (0x7 << 28) | (build.major << 22) | (build.minor << 16) | 0x8000 | (build.build & 0x7fff);
  return (value >>> 0).toString(16).toUpperCase().padStart(8, "0");
}

const ORG = "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)";

function domainOf(mailbox: MailboxState): string {
  return mailbox.smtpAddress.split("@")[1] ?? "contoso.test";
}

function deploymentId(domain: string): string {
  const hex = createHash("sha256").update(`deployment\u0000${domain}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

type Setting = { readonly type: string; readonly xml: string };

const str = (value: string): Setting => ({ type: "StringSetting", xml: `<Value>${esc(value)}</Value>` });

/** The values the mock can give for a mailbox, by setting name. */
function settingsFor(mailbox: MailboxState, ewsUrl: string): Map<string, Setting> {
  const domain = domainOf(mailbox);
  const alias = mailbox.smtpAddress.split("@")[0] ?? mailbox.smtpAddress;
  const server = `${mailbox.guid}@${domain}`;
  const serverDn = `${ORG}/cn=Configuration/cn=Servers/cn=${server}`;
  const https = ewsUrl.startsWith("https:");
  const settings = new Map<string, Setting>([
    ["UserDisplayName", str(mailbox.displayName)],
    ["UserDN", str(`${ORG}/cn=Recipients/cn=${mailbox.guid.replace(/-/g, "").slice(0, 32)}-${alias}`)],
    ["UserDeploymentId", str(deploymentId(domain))],
    ["InternalMailboxServer", str(server)],
    ["InternalMailboxServerDN", str(serverDn)],
    ["MailboxDN", str(`${serverDn}/cn=Microsoft Private MDB`)],
    ["ActiveDirectoryServer", str(`dc01.${domain}`)],
    ["ExternalMailboxServer", str(server)],
    ["ExternalMailboxServerRequiresSSL", str(https ? "True" : "False")],
    ["ExternalMailboxServerAuthenticationMethods", str("Basic")],
    ["InternalEwsUrl", str(ewsUrl)],
    ["ExternalEwsUrl", str(ewsUrl)],
    ["CrossOrganizationSharingEnabled", str("False")],
    ["CasVersion", str(CAS_VERSION)],
    ["EwsSupportedSchemas", str(SUPPORTED_SCHEMAS)],
    ["ExternalEwsVersion", str(CAS_VERSION)],
    ["MailboxVersion", str(CAS_VERSION)],
    ["ShowGalAsDefaultView", str("True")],
    ["AutoDiscoverSMTPAddress", str(mailbox.smtpAddress)],
    ["GroupingInformation", str("Default-First-Site-Name")],
    ["MapiHttpEnabled", str("False")],
    ["UserMSOnline", str("False")],
  ]);
  settings.set("AlternateMailboxes", {
    type: "AlternateMailboxCollectionSetting",
    xml: mailbox.hasArchive
      ? `<AlternateMailboxes><AlternateMailbox><Type>Archive</Type><DisplayName>${esc(`In-Place Archive - ${mailbox.displayName}`)}</DisplayName><LegacyDN>${esc(`${ORG}/cn=Recipients/cn=${alias}/guid=${mailbox.guid}`)}</LegacyDN><Server>${esc(server)}</Server></AlternateMailbox></AlternateMailboxes>`
      : "<AlternateMailboxes/>",
  });
  return settings;
}

function userResponse(store: Store, address: string, requested: readonly string[], ewsUrl: string): string {
  const mailbox = store.mailboxBySmtp(address);
  if (mailbox === undefined) {
    return `<UserResponse><ErrorCode>InvalidUser</ErrorCode><ErrorMessage>Invalid user: '${esc(address)}'</ErrorMessage><RedirectTarget i:nil="true"/><UserSettingErrors/><UserSettings/></UserResponse>`;
  }
  const values = settingsFor(mailbox, ewsUrl);
  let errors = "";
  let settings = "";
  for (const name of requested) {
    const value = values.get(name);
    if (value !== undefined) {
      settings += `<UserSetting i:type="${value.type}"><Name>${esc(name)}</Name>${value.xml}</UserSetting>`;
    } else {
      const [code, message] = KNOWN.has(name)
        ? ["SettingIsNotAvailable", "User setting is not available."]
        : ["InvalidSetting", "The requested setting is invalid."];
      errors += `<UserSettingError><ErrorCode>${code}</ErrorCode><ErrorMessage>${message}</ErrorMessage><SettingName>${esc(name)}</SettingName></UserSettingError>`;
    }
  }
  return `<UserResponse><ErrorCode>NoError</ErrorCode><ErrorMessage>No error.</ErrorMessage><RedirectTarget i:nil="true"/><UserSettingErrors>${errors}</UserSettingErrors><UserSettings>${settings}</UserSettings></UserResponse>`;
}

function soapEnvelope(action: string, body: string): string {
  return `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header><a:Action s:mustUnderstand="1">${NS_AUTODISCOVER}/Autodiscover/${action}</a:Action><h:ServerVersionInfo xmlns:h="${NS_AUTODISCOVER}" xmlns:i="${XSI}"><h:MajorVersion>${EXCHANGE_BUILD.major}</h:MajorVersion><h:MinorVersion>${EXCHANGE_BUILD.minor}</h:MinorVersion><h:MajorBuildNumber>${EXCHANGE_BUILD.build}</h:MajorBuildNumber><h:MinorBuildNumber>${EXCHANGE_BUILD.revision}</h:MinorBuildNumber><h:Version>Exchange2015</h:Version></h:ServerVersionInfo></s:Header><s:Body>${body}</s:Body></s:Envelope>`;
}

function requestOf(body: string): XmlNode | undefined {
  try {
    return child(child(child(parseXml(body), "Envelope"), "Body"), "GetUserSettingsRequestMessage");
  } catch {
    return undefined;
  }
}

export function autodiscoverSoap(
  body: string,
  store: Store,
  ewsUrl: string,
): { status: number; body: string } {
  const request = child(requestOf(body), "Request");
  if (request === undefined) {
    return {
      status: 200,
      body: soapEnvelope(
        "GetUserSettingsResponse",
        `<GetUserSettingsResponseMessage xmlns="${NS_AUTODISCOVER}"><Response xmlns:i="${XSI}"><ErrorCode>InvalidRequest</ErrorCode><ErrorMessage>The request is invalid.</ErrorMessage><UserResponses/></Response></GetUserSettingsResponseMessage>`,
      ),
    };
  }
  const users = children(child(request, "Users"), "User").map((u) => (text(u, "Mailbox") ?? "").trim());
  const requested = children(child(request, "RequestedSettings"), "Setting").map((s) =>
    (text(s) ?? "").trim(),
  );
  const responses = users.map((address) => userResponse(store, address, requested, ewsUrl)).join("");
  return {
    status: 200,
    body: soapEnvelope(
      "GetUserSettingsResponse",
      `<GetUserSettingsResponseMessage xmlns="${NS_AUTODISCOVER}"><Response xmlns:i="${XSI}"><ErrorCode>NoError</ErrorCode><ErrorMessage/><UserResponses>${responses}</UserResponses></Response></GetUserSettingsResponseMessage>`,
    ),
  };
}

function poxEmail(body: string): string {
  try {
    return (text(child(child(parseXml(body), "Autodiscover"), "Request"), "EMailAddress") ?? "").trim();
  } catch {
    return "";
  }
}

export function autodiscoverPox(
  body: string,
  store: Store,
  ewsUrl: string,
): { status: number; body: string } {
  const email = poxEmail(body);
  const mailbox = store.mailboxBySmtp(email);
  const head = `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">`;
  if (mailbox === undefined) {
    return {
      status: 200,
      body: `${head}<Response><Error Time="00:00:00" Id="1"><ErrorCode>500</ErrorCode><Message>The email address can't be found.</Message><DebugData/></Error></Response></Autodiscover>`,
    };
  }
  const version = poxServerVersion();
  return {
    status: 200,
    body: `${head}<Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"><User><DisplayName>${esc(mailbox.displayName)}</DisplayName><AutoDiscoverSMTPAddress>${esc(mailbox.smtpAddress)}</AutoDiscoverSMTPAddress></User><Account><AccountType>email</AccountType><Action>settings</Action><Protocol><Type>EXCH</Type><ServerVersion>${version}</ServerVersion><AuthPackage>Basic</AuthPackage><ASUrl>${esc(ewsUrl)}</ASUrl><EwsUrl>${esc(ewsUrl)}</EwsUrl></Protocol><Protocol><Type>EXPR</Type><ServerVersion>${version}</ServerVersion><AuthPackage>Basic</AuthPackage><EwsUrl>${esc(ewsUrl)}</EwsUrl></Protocol></Account></Response></Autodiscover>`,
  };
}
