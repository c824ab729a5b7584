// The configuration objects of a folder (GetUserConfiguration and its siblings, the settings API),
// kept as Exchange keeps them: folder-associated items of class IPM.Configuration.<name>
// (configuration-items.ts says how their parts are properties). Every change goes through the
// store's item operations, so an object has an ItemId, its change key moves on update,
// SyncFolderItems (NormalAndAssociatedItems) reports it created, changed and deleted, and
// FindItem Traversal="Associated", GetItem and extended-property reads show it. Names match
// case-insensitively, as Exchange matches message classes.
import { RoamingDictionaryError } from "../codec/errors.js";
import { EwsResponseError } from "../errors.js";
import {
  type ConfigurationParts,
  configurationItemData,
  configurationNameOf,
  configurationPartsOf,
  withConfigurationParts,
} from "./configuration-items.js";
import type { Store } from "./mailbox-store.js";
import type { FolderRecord, ItemRecord, MailboxState } from "./records.js";
import type { UserConfiguration } from "./settings.js";

/** What this module needs of the store. */
export type ConfigurationStore = Pick<
  Store,
  "itemClassOf" | "itemData" | "folderIdOf" | "addItem" | "updateItem" | "removeItem"
>;

function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * The folder's configuration objects, oldest first. Read from the folder's records directly:
 * generated items not materialised yet are never associated, so nothing need be regenerated.
 */
function configurationItems(store: ConfigurationStore, folder: FolderRecord): ItemRecord[] {
  return [...folder.items.values()]
    .filter((r) => r.isAssociated && configurationNameOf(store.itemClassOf(r)) !== undefined)
    .sort((a, b) => a.serial - b.serial);
}

/**
 * The item of the configuration object `name` of `folder`, or undefined. When a folder holds
 * several of one name (a restore uploading an FAI beside the one there), the oldest is the
 * object: every read, update and delete then acts on the same one.
 */
export function findConfiguration(
  store: ConfigurationStore,
  folder: FolderRecord,
  name: string,
): ItemRecord | undefined {
  const wanted = name.toLowerCase();
  return configurationItems(store, folder).find(
    (r) => configurationNameOf(store.itemClassOf(r))?.toLowerCase() === wanted,
  );
}

/**
 * The object an item holds. MUST throw EwsResponseError ErrorCorruptData when its dictionary
 * stream cannot be read (an FAI written by something else than EWS's configuration calls).
 */
export function readConfiguration(store: ConfigurationStore, record: ItemRecord): UserConfiguration {
  const data = store.itemData(record);
  const name = configurationNameOf(data.itemClass);
  if (name === undefined) throw new TypeError(`item ${record.serial} is no configuration object`);
  let parts: ConfigurationParts;
  try {
    parts = configurationPartsOf(data.extendedProperties);
  } catch (error) {
    if (!(error instanceof RoamingDictionaryError)) throw error;
    throw new EwsResponseError("ErrorCorruptData", `The configuration object's dictionary is corrupt.`);
  }
  return { name, folderId: store.folderIdOf(record.folder), ...parts };
}

/** Creates the object `name` of `folder` (the caller checked that there is none). */
export function createConfiguration(
  store: ConfigurationStore,
  folder: FolderRecord,
  name: string,
  parts: ConfigurationParts,
): ItemRecord {
  const owner = { name: folder.mailbox.displayName, email: folder.mailbox.smtpAddress };
  const data = configurationItemData(name, parts, owner, nowIso());
  return store.addItem(folder, { data, isAssociated: true });
}

/** Replaces every part of the object with `parts` (a part left out is removed); the change key moves. */
export function writeConfiguration(
  store: ConfigurationStore,
  record: ItemRecord,
  parts: ConfigurationParts,
): void {
  store.updateItem(record, withConfigurationParts(store.itemData(record), parts));
}

/** Deletes the object's item for good, as Exchange does (no Deleted Items, no Recoverable Items). */
export function deleteConfiguration(store: ConfigurationStore, record: ItemRecord): void {
  store.removeItem(record);
}

/**
 * Every configuration object of the mailbox: folder by folder in folder order, one per name (the
 * one findConfiguration picks), undecodable ones left out (GetUserConfiguration reports those).
 */
export function mailboxConfigurations(store: ConfigurationStore, mailbox: MailboxState): UserConfiguration[] {
  const out: UserConfiguration[] = [];
  for (const folder of mailbox.folders.values()) {
    if (folder.deleted) continue;
    const seen = new Set<string>();
    for (const record of configurationItems(store, folder)) {
      const key = configurationNameOf(store.itemClassOf(record))!.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      try {
        out.push(readConfiguration(store, record));
      } catch (error) {
        if (!(error instanceof EwsResponseError)) throw error;
      }
    }
  }
  return out;
}
