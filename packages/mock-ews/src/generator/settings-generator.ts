// Seeded, realistic mailbox settings: a handful of inbox rules (some disabled, some moving mail
// to folders, one forwarding to a colleague), OOF on (or scheduled) for some mailboxes, a delegate
// or two. Deterministic from the store's seed and the mailbox's index, drawn from a PRNG stream
// of its own (SETTINGS_STREAM) so the item generator's draws never move. (The configuration
// objects, Outlook's category list among them, are items: seeded-configurations.ts.)
import { seedFolderPermissions } from "../store/folder-permissions.js";
import type { FolderRecord, MailboxState } from "../store/records.js";
import {
  DELEGATE_FOLDERS,
  type Delegate,
  type DelegateLevel,
  type InboxRule,
  type MailboxSettings,
  newRuleId,
  type OofState,
} from "../store/settings.js";
import { mixSeed, Prng } from "./prng.js";
import { CATEGORIES } from "./seeded-configurations.js";

/** What the settings generator reads of the store (store/mailbox-store.ts's Store has it). */
export interface SettingsStore {
  /** The generator's seed; the settings draw from streams of their own beside it. */
  readonly seed: number;
  readonly mailboxes: readonly MailboxState[];
  folderIdOf(folder: FolderRecord): string;
}

/** Separate these streams from the item generator's (any constants not used there). */
const SETTINGS_STREAM = 0x5e771265;
const SHARING_STREAM = 0x5a4e1d09;

const RULE_WORDS = ["invoice", "newsletter", "build failed", "standup", "expenses", "release", "digest"];

function pick<T>(prng: Prng, list: readonly T[]): T {
  return list[Math.floor(prng.float() * list.length)]!;
}

/** Folders a seeded rule moves mail to: the Inbox's subfolders, else Junk / Deleted Items / Notes. */
function ruleTargets(mailbox: MailboxState): FolderRecord[] {
  const inbox = mailbox.distinguished.get("inbox");
  const below = (inbox?.children ?? []).filter((f) => !f.deleted);
  const fallback = ["junkemail", "deleteditems", "notes"]
    .map((name) => mailbox.distinguished.get(name))
    .filter((f): f is FolderRecord => f !== undefined);
  return below.length > 0 ? below : fallback;
}

function rules(
  store: SettingsStore,
  mailbox: MailboxState,
  settings: MailboxSettings,
  prng: Prng,
  colleagues: readonly MailboxState[],
): InboxRule[] {
  const targets = ruleTargets(mailbox);
  const count = 3 + Math.floor(prng.float() * 3);
  const out: InboxRule[] = [];
  for (let i = 0; i < count; i++) {
    const word = pick(prng, RULE_WORDS);
    const enabled = prng.float() > 0.3;
    const id = newRuleId(settings);
    const base = { id, priority: i + 1, isEnabled: enabled, exceptions: {} };
    const kind = i % 4;
    if (kind === 0 && targets.length > 0) {
      const target = pick(prng, targets);
      out.push({
        ...base,
        displayName: `Move "${word}" to ${target.displayName}`,
        conditions: { ContainsSubjectStrings: [word] },
        actions: { MoveToFolder: store.folderIdOf(target), StopProcessingRules: true },
      });
    } else if (kind === 1) {
      out.push({
        ...base,
        displayName: `Tag ${word} mail`,
        conditions: { ContainsBodyStrings: [word], HasAttachments: true },
        exceptions: { Importance: "High" },
        actions: { AssignCategories: [pick(prng, CATEGORIES)[0]], MarkImportance: "Low" },
      });
    } else if (kind === 2 && colleagues.length > 0) {
      const colleague = pick(prng, colleagues);
      out.push({
        ...base,
        displayName: `Forward ${word} to ${colleague.displayName}`,
        conditions: { ContainsSubjectOrBodyStrings: [word], SentToMe: true },
        actions: { ForwardToRecipients: [{ address: colleague.smtpAddress, name: colleague.displayName }] },
      });
    } else {
      const archive = mailbox.distinguished.get("deleteditems");
      out.push({
        ...base,
        displayName: `Clean up ${word}`,
        conditions: { ContainsSenderStrings: [`${word.replace(/ /g, "")}@`] },
        actions:
          archive === undefined
            ? { Delete: true }
            : { CopyToFolder: store.folderIdOf(archive), MarkAsRead: true },
      });
    }
  }
  return out;
}

function delegates(prng: Prng, colleagues: readonly MailboxState[]): Delegate[] {
  const count = Math.min(colleagues.length, Math.floor(prng.float() * 3));
  const levels: DelegateLevel[] = ["None", "Reviewer", "Author", "Editor"];
  const out: Delegate[] = [];
  const pool = [...colleagues];
  for (let i = 0; i < count; i++) {
    const [colleague] = pool.splice(Math.floor(prng.float() * pool.length), 1);
    const permissions = Object.fromEntries(
      DELEGATE_FOLDERS.map((folder) => [
        folder,
        folder === "Calendar" ? pick(prng, ["Reviewer", "Author", "Editor"] as const) : pick(prng, levels),
      ]),
    ) as Delegate["permissions"];
    out.push({
      smtpAddress: colleague!.smtpAddress,
      displayName: colleague!.displayName,
      permissions,
      receiveCopiesOfMeetingMessages: permissions.Calendar === "Editor" && prng.float() > 0.5,
      viewPrivateItems: prng.float() > 0.7,
    });
  }
  return out;
}

/** The seeded settings of `mailbox`. Deterministic from (store seed, mailbox index). */
export function generateMailboxSettings(store: SettingsStore, mailbox: MailboxState): MailboxSettings {
  const prng = new Prng(mixSeed(store.seed, SETTINGS_STREAM, mailbox.index));
  const colleagues = store.mailboxes.filter((m) => m !== mailbox);
  const settings: MailboxSettings = {
    rules: [],
    nextRuleNumber: 1,
    oof: {
      state: "Disabled",
      externalAudience: "All",
      start: "2024-01-01T00:00:00Z",
      end: "2024-01-02T00:00:00Z",
      internalReply: "",
      externalReply: "",
    },
    delegates: [],
    deliverMeetingRequests: "DelegatesAndSendInformationToMe",
  };
  settings.rules = rules(store, mailbox, settings, prng, colleagues);
  const oofDraw = prng.float();
  const state: OofState = oofDraw < 0.25 ? "Enabled" : oofDraw < 0.45 ? "Scheduled" : "Disabled";
  const day = 1 + Math.floor(prng.float() * 27);
  const start = `2025-07-${String(day).padStart(2, "0")}T07:00:00Z`;
  const end = `2025-08-${String(day).padStart(2, "0")}T17:00:00Z`;
  settings.oof = {
    state,
    externalAudience: pick(prng, ["None", "Known", "All"] as const),
    start,
    end,
    internalReply: `<html><body>I am out of the office until ${end.slice(0, 10)}. For urgent matters, contact the team.</body></html>`,
    externalReply: `<html><body>Thank you for your message. I am away until ${end.slice(0, 10)} with limited access to e-mail.</body></html>`,
  };
  settings.delegates = delegates(prng, colleagues);
  settings.deliverMeetingRequests =
    settings.delegates.length > 0 ? "DelegatesAndMe" : "DelegatesAndSendInformationToMe";
  return settings;
}

/**
 * Seeds folder sharing as people set it up: every calendar is shared with a colleague as
 * Reviewer (sometimes a second as Editor); every other mailbox shows subjects and locations to
 * everyone (Default FreeBusyTimeAndSubjectAndLocation; the rest keep Exchange's FreeBusyTimeOnly);
 * some Contacts folders are shared with a colleague as Reviewer. Called once by the store's
 * constructor (the seeded delegates' ACL entries follow: store/mailbox-settings.ts); its own PRNG
 * stream, and no change keys move.
 */
export function seedSharedFolders(store: SettingsStore): void {
  for (const mailbox of store.mailboxes) {
    const colleagues = store.mailboxes.filter((m) => m !== mailbox);
    if (colleagues.length === 0) continue;
    const prng = new Prng(mixSeed(store.seed, SHARING_STREAM, mailbox.index));
    const user = (m: MailboxState) => ({ smtpAddress: m.smtpAddress, displayName: m.displayName });
    const calendar = mailbox.distinguished.get("calendar");
    if (calendar !== undefined) {
      const pool = [...colleagues];
      const [reviewer] = pool.splice(Math.floor(prng.float() * pool.length), 1);
      const entries = [
        {
          user: { distinguished: "Default" as const },
          level: mailbox.index % 2 === 1 ? "FreeBusyTimeAndSubjectAndLocation" : "FreeBusyTimeOnly",
        },
        { user: { distinguished: "Anonymous" as const }, level: "None" },
        { user: user(reviewer!), level: "Reviewer" },
      ];
      if (pool.length > 0 && prng.float() < 0.5)
        entries.push({ user: user(pick(prng, pool)), level: "Editor" });
      seedFolderPermissions(calendar, entries);
    }
    const contacts = mailbox.distinguished.get("contacts");
    if (contacts !== undefined && prng.float() < 0.4) {
      seedFolderPermissions(contacts, [
        { user: { distinguished: "Default" }, level: "None" },
        { user: { distinguished: "Anonymous" }, level: "None" },
        { user: user(pick(prng, colleagues)), level: "Reviewer" },
      ]);
    }
  }
}
