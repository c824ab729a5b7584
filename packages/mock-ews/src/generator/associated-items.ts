// Folder-associated items (FAI) of a generated mailbox: the hidden items Outlook and OWA keep in
// Inbox and Calendar — server-side rules (IPM.Rule.Version2.Message), client rules
// (IPM.ExtendedRule.Message), named views (IPM.Microsoft.FolderDesign.NamedView) and roaming
// configuration (IPM.Configuration.*, the PR_ROAMING_XMLSTREAM / PR_ROAMING_DICTIONARY blobs).
// Exchange shows them only to FindItem Traversal="Associated" and SyncFolderItems with
// NormalAndAssociatedItems, so seeding them changes nothing a normal-item traversal sees. Made
// from (seed, mailbox) alone, like every generated item, so two servers agree byte for byte.
import type {
  MockAssociatedItemClass,
  MockExtendedProperty,
  MockItemData,
  MockMailAddress,
} from "../model.js";
import { unsent } from "./item-kinds.js";
import { mixSeed, Prng } from "./prng.js";

const SALT_ASSOCIATED = 0x46414931;

/** PR_RULE_MSG_* and view/roaming property tags (MS-OXORULE, MS-OXOCFG). */
const TAG = {
  ruleMsgName: 0x65ec,
  ruleMsgProvider: 0x65eb,
  ruleMsgSequence: 0x65f3,
  ruleMsgState: 0x65e9,
  extendedRuleCondition: 0x0e9a,
  viewDescriptorName: 0x7006,
  viewDescriptorVersion: 0x7007,
  roamingDatatypes: 0x7c06,
  roamingDictionary: 0x7c07,
  roamingXmlStream: 0x7c08,
} as const;

export interface SeededAssociatedItem {
  /** Distinguished name of the folder the item belongs to. */
  readonly folder: "inbox" | "calendar";
  readonly data: MockItemData;
}

/** The FAI of one generated mailbox: three in Inbox, three in Calendar, always in this order. */
export function associatedItemsFor(
  seed: number,
  mailboxIndex: number,
  owner: MockMailAddress,
): SeededAssociatedItem[] {
  const rng = new Prng(mixSeed(seed, SALT_ASSOCIATED, mailboxIndex));
  const created = dateIn2024(rng);
  const item = (itemClass: MockAssociatedItemClass, subject: string, props: MockExtendedProperty[]) =>
    fai(itemClass, subject, created, owner, props);
  const ruleName = rng.pick(["Newsletters", "Receipts", "From my manager", "Build alerts", "Travel"]);
  const viewName = rng.pick(["Compact", "Single", "Preview", "Unread first"]);
  const categories = rng.pick([
    ["Red category", "Blue category"],
    ["Projects", "Personal", "Follow up"],
  ]);
  const startHour = rng.int(7, 9);
  /** A Calendar configuration object whose data is an XML stream (PR_ROAMING_XMLSTREAM). */
  const roamingXml = (itemClass: MockAssociatedItemClass, text: string): SeededAssociatedItem => ({
    folder: "calendar",
    data: item(itemClass, itemClass, [int(TAG.roamingDatatypes, 4), bin(TAG.roamingXmlStream, xml(text))]),
  });
  return [
    {
      folder: "inbox",
      data: item("IPM.Rule.Version2.Message", "", [
        str(TAG.ruleMsgName, ruleName),
        str(TAG.ruleMsgProvider, "RuleOrganizer"),
        int(TAG.ruleMsgSequence, rng.int(1, 20)),
        int(TAG.ruleMsgState, 1),
      ]),
    },
    {
      folder: "inbox",
      data: item("IPM.ExtendedRule.Message", "", [
        str(TAG.ruleMsgName, `${ruleName} (client)`),
        str(TAG.ruleMsgProvider, "RuleOrganizer2"),
        bin(TAG.extendedRuleCondition, randomBytes(rng, 48)),
      ]),
    },
    {
      folder: "inbox",
      data: item("IPM.Microsoft.FolderDesign.NamedView", viewName, [
        str(TAG.viewDescriptorName, viewName),
        int(TAG.viewDescriptorVersion, 8),
      ]),
    },
    roamingXml(
      "IPM.Configuration.CategoryList",
      `<categories default="${categories[0]}">${categories.map((name) => `<category name="${name}" color="${rng.int(0, 24)}"/>`).join("")}</categories>`,
    ),
    roamingXml(
      "IPM.Configuration.WorkHours",
      `<Root><WorkHoursVersion1><TimeSlot><Start>${pad(startHour)}:00:00</Start><End>${pad(startHour + 8)}:00:00</End></TimeSlot><WorkDays>Monday Tuesday Wednesday Thursday Friday</WorkDays></WorkHoursVersion1></Root>`,
    ),
    {
      folder: "calendar",
      data: item("IPM.Configuration.Calendar", "IPM.Configuration.Calendar", [
        int(TAG.roamingDatatypes, 2),
        bin(TAG.roamingDictionary, randomBytes(rng, 96)),
      ]),
    },
  ];
}

function fai(
  itemClass: MockAssociatedItemClass,
  subject: string,
  created: string,
  owner: MockMailAddress,
  extendedProperties: MockExtendedProperty[],
): MockItemData {
  return {
    itemClass,
    subject,
    body: { bodyType: "Text", content: "" },
    from: owner,
    ...unsent(created),
    importance: "Normal",
    sensitivity: "Normal",
    categories: [],
    isRead: true,
    flagStatus: "NotFlagged",
    attachments: [],
    extendedProperties,
  };
}

function str(propertyTag: number, value: string): MockExtendedProperty {
  return { propertyTag, propertyType: "String", values: [value] };
}

function int(propertyTag: number, value: number): MockExtendedProperty {
  return { propertyTag, propertyType: "Integer", values: [String(value)] };
}

function bin(propertyTag: number, bytes: Uint8Array): MockExtendedProperty {
  return { propertyTag, propertyType: "Binary", values: [Buffer.from(bytes).toString("base64")] };
}

function xml(text: string): Uint8Array {
  return new TextEncoder().encode(`<?xml version="1.0" encoding="utf-8"?>${text}`);
}

function randomBytes(rng: Prng, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  rng.fill(bytes);
  return bytes;
}

function dateIn2024(rng: Prng): string {
  const ms = Date.UTC(2024, 0, 1) + rng.int(0, 364) * 86_400_000 + rng.int(0, 86_399) * 1000;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}
