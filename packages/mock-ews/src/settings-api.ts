// The in-process API over a mailbox's settings (rules, OOF, delegates, user configurations): what
// a test uses to read the seeded settings and change them between two backups. The EWS
// operations see every change at once (they read the same records, store/settings.ts, and the
// same configuration items, store/user-configurations.ts).
import { MockEwsError } from "./errors.js";
import { configurationProperties } from "./store/configuration-items.js";
import { mirrorDelegate } from "./store/delegate-permissions.js";
import { directoryOf } from "./store/directory.js";
import { settingsOf } from "./store/mailbox-settings.js";
import type { Store } from "./store/mailbox-store.js";
import type { FolderRecord, MailboxState } from "./store/records.js";
import {
  DELEGATE_FOLDERS,
  type Delegate,
  type DeliverMeetingRequests,
  type InboxRule,
  newRuleId,
  type OofSettings,
  type UserConfiguration,
} from "./store/settings.js";
import {
  createConfiguration,
  deleteConfiguration,
  findConfiguration,
  mailboxConfigurations,
  writeConfiguration,
} from "./store/user-configurations.js";

export type {
  Delegate,
  DelegateFolder,
  DelegateLevel,
  DeliverMeetingRequests,
  DictionaryEntry,
  DictionaryObject,
  InboxRule,
  OofAudience,
  OofSettings,
  OofState,
  RuleAddress,
  RuleParts,
  RuleValue,
  UserConfiguration,
} from "./store/settings.js";

/** A rule to store: its id is kept when given (else assigned); its priority is its position. */
export type InboxRuleInput = Omit<InboxRule, "id" | "priority"> & { readonly id?: string };

/**
 * Reads and changes mailbox settings. Every method MUST throw MockEwsError NOT_FOUND for an
 * unknown mailbox and INVALID_SETTINGS for a value EWS could not carry (an unknown OOF state, a
 * rule moving mail to a folder that does not exist, a delegate not in the directory or the owner).
 */
export interface MailboxSettingsApi {
  /** The inbox rules in priority order. */
  rules(mailbox: string): InboxRule[];
  /** Replaces all rules (priority = position); returns them with their ids. */
  setRules(mailbox: string, rules: readonly InboxRuleInput[]): InboxRule[];
  oof(mailbox: string): OofSettings;
  /** Changes the OOF settings (fields left out keep their values). */
  setOof(mailbox: string, change: Partial<OofSettings>): void;
  delegates(mailbox: string): Delegate[];
  deliverMeetingRequests(mailbox: string): DeliverMeetingRequests;
  /** Replaces all delegates (and, when given, the meeting-request delivery scope); their levels go into the folders' ACLs. */
  setDelegates(mailbox: string, delegates: readonly Delegate[], deliver?: DeliverMeetingRequests): void;
  /**
   * Every configuration object of the mailbox (CategoryList, Calendar, ...): each IPM.Configuration.*
   * associated item of its folders, one per folder and name (case-insensitively; the one
   * GetUserConfiguration reads).
   */
  configurations(mailbox: string): UserConfiguration[];
  /**
   * Creates or replaces the configuration object named (folderId, name): its associated item is
   * created, or its parts replaced (its change key moves).
   */
  setConfiguration(mailbox: string, configuration: UserConfiguration): void;
  /** Deletes a configuration object's associated item; returns whether it existed. */
  deleteConfiguration(mailbox: string, folderId: string, name: string): boolean;
}

function invalid(message: string): MockEwsError {
  return new MockEwsError("INVALID_SETTINGS", message);
}

const STATES = new Set(["Disabled", "Enabled", "Scheduled"]);
const AUDIENCES = new Set(["None", "Known", "All"]);
const LEVELS = new Set(["None", "Reviewer", "Author", "Editor", "Custom"]);

export function settingsApi(store: Store): MailboxSettingsApi {
  const mailboxOf = (smtp: string): MailboxState => {
    const mailbox = store.mailboxBySmtp(smtp);
    if (mailbox === undefined) throw new MockEwsError("NOT_FOUND", `no mailbox ${smtp}`);
    return mailbox;
  };
  const ownFolder = (mailbox: MailboxState, id: string, what: string): FolderRecord => {
    try {
      const folder = store.findFolder(id);
      if (folder.mailbox === mailbox && !folder.deleted) return folder;
    } catch {
      // reported below
    }
    throw invalid(`${what}: no folder ${id} in ${mailbox.smtpAddress}`);
  };
  return {
    rules: (smtp) => [...settingsOf(store, mailboxOf(smtp)).rules],
    setRules(smtp, rules) {
      const mailbox = mailboxOf(smtp);
      const settings = settingsOf(store, mailbox);
      const ids = new Set<string>();
      const next = rules.map((rule, index) => {
        if (rule.displayName.trim() === "") throw invalid("a rule needs a display name");
        if (Object.keys(rule.actions).length === 0) throw invalid(`rule ${rule.displayName} has no action`);
        for (const key of ["MoveToFolder", "CopyToFolder"]) {
          const folderId = rule.actions[key];
          if (folderId !== undefined) ownFolder(mailbox, String(folderId), `rule ${rule.displayName}`);
        }
        const id = rule.id ?? newRuleId(settings);
        if (ids.has(id)) throw invalid(`rule id ${id} appears twice`);
        ids.add(id);
        return { ...rule, id, priority: index + 1 };
      });
      settings.rules = next;
      return [...next];
    },
    oof: (smtp) => settingsOf(store, mailboxOf(smtp)).oof,
    setOof(smtp, change) {
      const settings = settingsOf(store, mailboxOf(smtp));
      const next = { ...settings.oof, ...change };
      if (!STATES.has(next.state)) throw invalid(`unknown OOF state ${next.state}`);
      if (!AUDIENCES.has(next.externalAudience))
        throw invalid(`unknown external audience ${next.externalAudience}`);
      if (!(Date.parse(next.end) > Date.parse(next.start)))
        throw invalid("the OOF window must end after it starts");
      settings.oof = next;
    },
    delegates: (smtp) => [...settingsOf(store, mailboxOf(smtp)).delegates],
    deliverMeetingRequests: (smtp) => settingsOf(store, mailboxOf(smtp)).deliverMeetingRequests,
    setDelegates(smtp, delegates, deliver) {
      const mailbox = mailboxOf(smtp);
      const settings = settingsOf(store, mailbox);
      const directory = directoryOf(store);
      const seen = new Set<string>();
      for (const delegate of delegates) {
        const key = delegate.smtpAddress.toLowerCase();
        if (directory.get(delegate.smtpAddress) === undefined)
          throw invalid(`delegate ${delegate.smtpAddress} is not in the directory`);
        if (key === mailbox.smtpAddress.toLowerCase()) throw invalid("the owner cannot be a delegate");
        if (seen.has(key)) throw invalid(`delegate ${delegate.smtpAddress} appears twice`);
        seen.add(key);
        for (const folder of DELEGATE_FOLDERS)
          if (!LEVELS.has(delegate.permissions[folder]))
            throw invalid(`unknown ${folder} level ${delegate.permissions[folder]}`);
      }
      for (const gone of settings.delegates)
        if (!seen.has(gone.smtpAddress.toLowerCase())) mirrorDelegate(mailbox, gone.smtpAddress, undefined);
      for (const delegate of delegates) mirrorDelegate(mailbox, delegate.smtpAddress, delegate);
      settings.delegates = [...delegates];
      if (deliver !== undefined) settings.deliverMeetingRequests = deliver;
    },
    configurations: (smtp) => mailboxConfigurations(store, mailboxOf(smtp)),
    setConfiguration(smtp, configuration) {
      const mailbox = mailboxOf(smtp);
      if (configuration.name.trim() === "") throw invalid("a configuration needs a name");
      const folder = ownFolder(mailbox, configuration.folderId, `configuration ${configuration.name}`);
      const { name, folderId: _folderId, ...parts } = configuration;
      try {
        configurationProperties(parts);
      } catch (error) {
        if (!(error instanceof TypeError)) throw error;
        throw invalid(`configuration ${name}: ${error.message}`);
      }
      const record = findConfiguration(store, folder, name);
      if (record === undefined) createConfiguration(store, folder, name, parts);
      else writeConfiguration(store, record, parts);
    },
    deleteConfiguration(smtp, folderId, name) {
      const mailbox = mailboxOf(smtp);
      let folder: FolderRecord;
      try {
        folder = store.findFolder(folderId);
      } catch {
        return false;
      }
      const record = folder.mailbox === mailbox ? findConfiguration(store, folder, name) : undefined;
      if (record === undefined) return false;
      deleteConfiguration(store, record);
      return true;
    },
  };
}
