// Where each mailbox's settings (settings.ts) are kept: beside the store, one record per mailbox,
// seeded on first use by generator/settings-generator.ts. Apart from settings.ts so that the
// records and the generator do not import each other.
import { generateMailboxSettings, type SettingsStore } from "../generator/settings-generator.js";
import { mirrorDelegate } from "./delegate-permissions.js";
import type { MailboxState } from "./records.js";
import type { MailboxSettings } from "./settings.js";

const settingsByMailbox = new WeakMap<MailboxState, MailboxSettings>();

/** The settings of a mailbox, seeded on first use. */
export function settingsOf(store: SettingsStore, mailbox: MailboxState): MailboxSettings {
  let settings = settingsByMailbox.get(mailbox);
  if (settings === undefined) {
    settings = generateMailboxSettings(store, mailbox);
    settingsByMailbox.set(mailbox, settings);
  }
  return settings;
}

/**
 * Writes every mailbox's seeded delegates into its folders' ACLs, as Exchange keeps them (their
 * entries win over the seeded sharing: called once by the store's constructor, after
 * seedSharedFolders). No change keys move.
 */
export function mirrorSeededDelegates(store: SettingsStore): void {
  // A mailbox without colleagues has no seeded delegates' ACLs (nor sharing).
  if (store.mailboxes.length < 2) return;
  for (const mailbox of store.mailboxes) {
    for (const delegate of settingsOf(store, mailbox).delegates)
      mirrorDelegate(mailbox, delegate.smtpAddress, delegate, true);
  }
}
