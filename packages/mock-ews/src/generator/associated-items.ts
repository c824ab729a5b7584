// Folder-associated items (FAI) of a generated mailbox: the hidden items Outlook and OWA keep in
// Inbox and Calendar — server-side rules (IPM.Rule.Version2.Message), client rules
// (IPM.ExtendedRule.Message), named views (IPM.Microsoft.FolderDesign.NamedView) and the
// configuration objects (IPM.Configuration.CategoryList, .WorkHours, .Calendar: the ones
// GetUserConfiguration reads, made by the same encoder, store/configuration-items.ts).
// Exchange shows them only to FindItem Traversal="Associated" and SyncFolderItems with
// NormalAndAssociatedItems, so seeding them changes nothing a normal-item traversal sees. Made
// from (seed, mailbox) alone, like every generated item, so two servers agree byte for byte.
import type {
  MockAssociatedItemClass,
  MockExtendedProperty,
  MockItemData,
  MockMailAddress,
} from "../model.js";
import { associatedItemData, configurationItemData } from "../store/configuration-items.js";
import { mixSeed, Prng } from "./prng.js";
import { seededConfigurations } from "./seeded-configurations.js";

const SALT_ASSOCIATED = 0x46414931;

/** PR_RULE_MSG_* and view property tags (MS-OXORULE, MS-OXOCFG). */
const TAG = {
  ruleMsgName: 0x65ec,
  ruleMsgProvider: 0x65eb,
  ruleMsgSequence: 0x65f3,
  ruleMsgState: 0x65e9,
  extendedRuleCondition: 0x0e9a,
  viewDescriptorName: 0x7006,
  viewDescriptorVersion: 0x7007,
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
    associatedItemData(itemClass, subject, owner, created, props);
  const ruleName = rng.pick(["Newsletters", "Receipts", "From my manager", "Build alerts", "Travel"]);
  const viewName = rng.pick(["Compact", "Single", "Preview", "Unread first"]);
  const configurations = seededConfigurations(seed, mailboxIndex).map(
    ({ name, parts }): SeededAssociatedItem => ({
      folder: "calendar",
      data: configurationItemData(name, parts, owner, created),
    }),
  );
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
    ...configurations,
  ];
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

function randomBytes(rng: Prng, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  rng.fill(bytes);
  return bytes;
}

function dateIn2024(rng: Prng): string {
  const ms = Date.UTC(2024, 0, 1) + rng.int(0, 364) * 86_400_000 + rng.int(0, 86_399) * 1000;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
