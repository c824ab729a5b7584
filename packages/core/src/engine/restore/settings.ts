// Restoring a snapshot's mailbox settings (see settings-types.ts for the contract).
import { EwsVaultError } from "@ewsvault/mailbox";
import type {
  ReadSnapshotSettingsOptions,
  RestoreSettingsOptions,
  SettingsRestoreReport,
  SnapshotSettings,
} from "./settings-types.js";

/** What a snapshot holds of each settings kind (values and the failures stored at backup). */
export async function readSnapshotSettings(_options: ReadSnapshotSettingsOptions): Promise<SnapshotSettings> {
  throw new EwsVaultError("SETTINGS_DOCUMENT_INVALID", "not implemented yet");
}

/** Restores a snapshot's settings into a mailbox. */
export async function restoreSettings(_options: RestoreSettingsOptions): Promise<SettingsRestoreReport> {
  throw new EwsVaultError("SETTINGS_DOCUMENT_INVALID", "not implemented yet");
}
