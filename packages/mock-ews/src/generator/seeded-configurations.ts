// The configuration objects Outlook leaves in every mailbox's Calendar: the category master list
// (CategoryList: XML with names, colour indexes and keyboard shortcuts, as Outlook writes it), the
// working hours (WorkHours: XML) and the calendar options (Calendar: a typed dictionary with a
// nil entry). Only their parts: associated-items.ts turns them into the FAI Exchange keeps them as
// (store/configuration-items.ts). Deterministic from (seed, mailbox index), drawn from a PRNG
// stream of their own so the other seeded items' draws never depend on them.
import { createHash } from "node:crypto";
import type { ConfigurationParts } from "../store/configuration-items.js";
import { mixSeed, Prng } from "./prng.js";

const SALT_CONFIGURATIONS = 0x43464731;

/** Outlook's six default colour categories (name, colour index) plus a few a user adds. */
export const CATEGORIES: readonly (readonly [string, number])[] = [
  ["Red category", 0],
  ["Orange category", 1],
  ["Yellow category", 3],
  ["Green category", 4],
  ["Blue category", 7],
  ["Purple category", 8],
  ["Project Atlas", 12],
  ["Customers", 19],
  ["Follow-up", 2],
  ["Travel", 14],
];

export interface SeededConfiguration {
  readonly name: string;
  readonly parts: ConfigurationParts;
}

function guidOf(...parts: (string | number)[]): string {
  const hex = createHash("sha256").update(parts.join("\0")).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function base64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

function categoryList(seed: number, mailboxIndex: number, rng: Prng): string {
  const count = 6 + Math.floor(rng.float() * (CATEGORIES.length - 5));
  const never = "1601-01-01T00:00:00.000";
  const entries = CATEGORIES.slice(0, count).map(([name, color], index) => {
    const shortcut = index < 6 && rng.float() > 0.5 ? index + 1 : 0;
    const guid = guidOf("category", seed, mailboxIndex, name);
    return `<category name="${name}" color="${color}" keyboardShortcut="${shortcut}" usageCount="${Math.floor(rng.float() * 40)}" lastTimeUsedNotes="${never}" lastTimeUsedJournal="${never}" lastTimeUsedContacts="${never}" lastTimeUsedTasks="${never}" lastTimeUsedCalendar="${never}" lastTimeUsedMail="2024-01-0${1 + (index % 9)}T09:00:00.000" lastTimeUsed="2024-01-0${1 + (index % 9)}T09:00:00.000" lastSessionUsed="0" guid="{${guid}}" renameOnFirstUse="0"/>`;
  });
  return `<?xml version="1.0"?>\r\n<categories default="Red category" lastSavedSession="1" lastSavedTime="2024-01-01T00:00:00.000" xmlns="CategoryList.xsd">${entries.join("")}</categories>\r\n`;
}

function workHours(rng: Prng): string {
  const start = String(7 + Math.floor(rng.float() * 3)).padStart(2, "0");
  const end = String(Number(start) + 8).padStart(2, "0");
  return `<?xml version="1.0" encoding="utf-8"?><Root xmlns="WorkingHours.xsd"><WorkHoursVersion1><TimeSlot><Start>${start}:00:00</Start><End>${end}:00:00</End></TimeSlot><WorkDays>Monday Tuesday Wednesday Thursday Friday</WorkDays></WorkHoursVersion1></Root>`;
}

/** The Calendar's configuration objects of one mailbox, always these three in this order. */
export function seededConfigurations(seed: number, mailboxIndex: number): SeededConfiguration[] {
  const rng = new Prng(mixSeed(seed, SALT_CONFIGURATIONS, mailboxIndex));
  const string = (value: string) => ({ type: "String", values: [value] });
  return [
    { name: "CategoryList", parts: { xmlData: base64(categoryList(seed, mailboxIndex, rng)) } },
    { name: "WorkHours", parts: { xmlData: base64(workHours(rng)) } },
    {
      name: "Calendar",
      parts: {
        dictionary: [
          { key: string("piAutoProcess"), value: { type: "Boolean", values: ["true"] } },
          { key: string("piRemindDefault"), value: { type: "Integer32", values: ["15"] } },
          { key: string("OLPrefsVersion"), value: { type: "Integer32", values: ["1"] } },
          { key: string("CalendarAssistantNoiseReduction"), value: null },
        ],
      },
    },
  ];
}
