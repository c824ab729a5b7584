// Delegates' folder rights live in the folders' ACLs, as in Exchange: a delegate with Calendar
// Editor is an Editor entry in the Calendar's PermissionSet, and AddDelegate / UpdateDelegate /
// RemoveDelegate change those entries (so the folders' change keys move and SyncFolderHierarchy
// reports them, as Exchange does). A level of None removes the user's entry; Custom keeps
// whatever entry the folder has (its rights are the folder's, not the delegate's).
import {
  type FolderPermission,
  folderPermissions,
  LEVEL_RIGHTS,
  seedFolderPermissions,
  setFolderPermissions,
} from "./folder-permissions.js";
import type { MailboxState } from "./records.js";
import { DELEGATE_FOLDERS, type Delegate, type DelegateFolder } from "./settings.js";

const DISTINGUISHED: Readonly<Record<DelegateFolder, string>> = {
  Calendar: "calendar",
  Tasks: "tasks",
  Inbox: "inbox",
  Contacts: "contacts",
  Notes: "notes",
  Journal: "journal",
};

/**
 * Writes `delegate`'s levels into the owner's folders (undefined: removes the user's entries).
 * `seed`: part of the generated state (no change keys move).
 */
export function mirrorDelegate(
  owner: MailboxState,
  smtpAddress: string,
  delegate: Delegate | undefined,
  seed = false,
): void {
  const key = smtpAddress.toLowerCase();
  for (const name of DELEGATE_FOLDERS) {
    const folder = owner.distinguished.get(DISTINGUISHED[name]);
    if (folder === undefined) continue;
    const level = delegate?.permissions[name] ?? "None";
    if (level === "Custom") continue;
    const current = folderPermissions(folder);
    const existing = current.find((e) => e.user.smtpAddress?.toLowerCase() === key);
    if (level === "None" ? existing === undefined : existing?.level === level) continue;
    const next: FolderPermission[] = current.filter((e) => e !== existing);
    if (level !== "None")
      next.push({
        user: { smtpAddress: delegate!.smtpAddress, displayName: delegate!.displayName },
        level,
        ...LEVEL_RIGHTS[level]!,
      });
    if (seed) seedFolderPermissions(folder, next);
    else setFolderPermissions(folder, next);
  }
}
