// Autodiscover, enough to point a client at the EWS URL: the SOAP service
// (/autodiscover/autodiscover.svc, GetUserSettings) and the POX one (/autodiscover/autodiscover.xml).
import type { Store } from "../store/index.js";
import { esc, parseXml, text } from "../xml.js";

const NS_AUTODISCOVER = "http://schemas.microsoft.com/exchange/2010/Autodiscover";

function firstEmail(body: string, names: string[]): string | undefined {
  try {
    const doc = parseXml(body);
    const stack: unknown[] = [doc];
    while (stack.length > 0) {
      const node = stack.pop();
      if (node === null || typeof node !== "object") continue;
      for (const [key, value] of Object.entries(node)) {
        if (names.includes(key)) {
          const t = text(node, key);
          if (t !== undefined && t.trim() !== "") return t.trim();
        }
        if (typeof value === "object") stack.push(value);
      }
    }
  } catch {
    return undefined;
  }
  return undefined;
}

export function autodiscoverSoap(
  body: string,
  store: Store,
  ewsUrl: string,
): { status: number; body: string } {
  const email = firstEmail(body, ["Mailbox"]) ?? "";
  const mailbox = store.mailboxBySmtp(email);
  const userResponse =
    mailbox === undefined
      ? `<UserResponse><ErrorCode>InvalidUser</ErrorCode><ErrorMessage>Invalid user: '${esc(email)}'</ErrorMessage><RedirectTarget i:nil="true"/><UserSettingErrors/><UserSettings/></UserResponse>`
      : `<UserResponse><ErrorCode>NoError</ErrorCode><ErrorMessage>No error.</ErrorMessage><RedirectTarget i:nil="true"/><UserSettingErrors/><UserSettings><UserSetting i:type="StringSetting"><Name>UserDisplayName</Name><Value>${esc(mailbox.displayName)}</Value></UserSetting><UserSetting i:type="StringSetting"><Name>InternalEwsUrl</Name><Value>${esc(ewsUrl)}</Value></UserSetting><UserSetting i:type="StringSetting"><Name>ExternalEwsUrl</Name><Value>${esc(ewsUrl)}</Value></UserSetting><UserSetting i:type="StringSetting"><Name>CasVersion</Name><Value>15.01.2507.006</Value></UserSetting></UserSettings></UserResponse>`;
  return {
    status: 200,
    body: `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header><a:Action s:mustUnderstand="1">http://schemas.microsoft.com/exchange/2010/Autodiscover/Autodiscover/GetUserSettingsResponse</a:Action><h:ServerVersionInfo xmlns:h="${NS_AUTODISCOVER}" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><h:MajorVersion>15</h:MajorVersion><h:MinorVersion>1</h:MinorVersion><h:MajorBuildNumber>2507</h:MajorBuildNumber><h:MinorBuildNumber>6</h:MinorBuildNumber><h:Version>Exchange2015</h:Version></h:ServerVersionInfo></s:Header><s:Body><GetUserSettingsResponseMessage xmlns="${NS_AUTODISCOVER}"><Response xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><ErrorCode>NoError</ErrorCode><ErrorMessage/><UserResponses>${userResponse}</UserResponses></Response></GetUserSettingsResponseMessage></s:Body></s:Envelope>`,
  };
}

export function autodiscoverPox(
  body: string,
  store: Store,
  ewsUrl: string,
): { status: number; body: string } {
  const email = firstEmail(body, ["EMailAddress"]) ?? "";
  const mailbox = store.mailboxBySmtp(email);
  const head = `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">`;
  if (mailbox === undefined) {
    return {
      status: 200,
      body: `${head}<Response><Error Time="00:00:00" Id="1"><ErrorCode>500</ErrorCode><Message>The email address can't be found.</Message><DebugData/></Error></Response></Autodiscover>`,
    };
  }
  return {
    status: 200,
    body: `${head}<Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"><User><DisplayName>${esc(mailbox.displayName)}</DisplayName><AutoDiscoverSMTPAddress>${esc(mailbox.smtpAddress)}</AutoDiscoverSMTPAddress></User><Account><AccountType>email</AccountType><Action>settings</Action><Protocol><Type>EXCH</Type><ServerVersion>73C18880</ServerVersion><AuthPackage>Basic</AuthPackage><ASUrl>${esc(ewsUrl)}</ASUrl><EwsUrl>${esc(ewsUrl)}</EwsUrl></Protocol><Protocol><Type>EXPR</Type><AuthPackage>Basic</AuthPackage><EwsUrl>${esc(ewsUrl)}</EwsUrl></Protocol></Account></Response></Autodiscover>`,
  };
}
