// What an implementation hands the mailbox conformance suite: the source (and target) under
// test, a mailbox in it, and a fixture that changes that mailbox behind the source's back (as a
// user in Outlook would), so the suite can put known content in and check what the source
// reports, without knowing how the implementation stores anything.
import type { MailboxSource } from "../port/source.js";
import type { MailboxTarget } from "../port/target.js";

type Awaitable<T> = T | Promise<T>;

/** Content the suite asks the fixture to create: a plain mail item. */
export interface FixtureItem {
  readonly subject: string;
  readonly body: string;
}

/**
 * Changes the mailbox under test out of band. Every change MUST be visible to the source at once
 * (the next call of any source method sees it). Ids are the ones the source reports.
 */
export interface MailboxFixture {
  /** Creates a mail folder (IPF.Note) below `parentFolderId`; returns its id. */
  addFolder(parentFolderId: string, displayName: string): Awaitable<string>;
  /** Renames a folder (its id stays; its change key changes). */
  renameFolder(folderId: string, displayName: string): Awaitable<void>;
  /** Deletes a folder with everything below it. */
  deleteFolder(folderId: string): Awaitable<void>;
  /** Creates a mail item (IPM.Note) in a folder; returns its id. */
  addItem(folderId: string, item: FixtureItem): Awaitable<string>;
  /** Replaces an item's body (its id stays; its change key and exported data change). */
  modifyItem(itemId: string, change: { readonly body: string }): Awaitable<void>;
  /** Marks an item read or unread (nothing else of it changes). */
  setRead(itemId: string, isRead: boolean): Awaitable<void>;
  deleteItem(itemId: string): Awaitable<void>;
}

/** One fresh implementation instance for one check. */
export interface MailboxUnderTest {
  readonly source: MailboxSource;
  /** The writing side; required when the suite's `features.target` is true (often the same object). */
  readonly target?: MailboxTarget;
  /** SMTP address of an existing mailbox the fixture changes; it may hold content already. */
  readonly mailbox: string;
  readonly fixture: MailboxFixture;
  /** An address of no mailbox; default `nobody-<random>@` plus the mailbox's domain. */
  readonly missingMailbox?: string;
  /** Releases what create() started (servers, files), after the suite closed source and target. */
  dispose?(): Promise<void>;
}

/** Optional parts of the port an implementation offers: declared as data, checked against the instance. */
export interface MailboxFeatures {
  /** The instance has a MailboxTarget: the createFolder / uploadItems checks run. */
  readonly target: boolean;
  /** The source implements probeFolders: the probe checks run. */
  readonly probeFolders: boolean;
  /**
   * The source reads mailbox settings (capabilities.settingsKinds, getSettings; its target, if
   * any, applySettings): the settings checks run. Absent: false.
   */
  readonly settings?: boolean;
}

export interface MailboxConformanceOptions {
  /** Names the describe block: "mailbox conformance: <name>". */
  readonly name: string;
  /** A fresh instance per check. */
  create(): Promise<MailboxUnderTest>;
  readonly features: MailboxFeatures;
  /** Per-check timeout; default 30 000 ms. */
  readonly timeoutMs?: number;
}
