// The settings half of `ewsvault restore --settings[=KINDS]`: runs the engine's restoreSettings()
// (or its dry run) and prints its report — per kind, per entry, and every principal the
// principal map did not name — as text or as JSON events. The exit code says whether everything
// asked for was (or, in a dry run, would be) written as it was backed up.
import {
  type EngineRepository,
  type MailboxTarget,
  restoreSettings,
  type SettingsEntryRestoreReport,
  type SettingsKind,
  type SettingsKindRestoreReport,
  type SettingsRestoreReport,
} from "@ewsvault/core";
import { ExitCode } from "../errors.js";
import { type Output, shown } from "../output.js";
import type { SettingsChoice } from "../settings-kinds.js";

export interface SettingsRestoreRun {
  readonly repository: EngineRepository;
  readonly target: MailboxTarget;
  readonly mailbox: string;
  readonly snapshotId: string;
  readonly toMailbox?: string;
  readonly choice: SettingsChoice;
  /** Already read and checked (readPrincipalMapFile) before anything was written. */
  readonly principalMap?: ReadonlyMap<string, string>;
  readonly dryRun: boolean;
  readonly signal: AbortSignal;
}

/**
 * Restores (or dry-runs) the settings and prints the report. Returns ExitCode.ok when every
 * entry asked for was written (dry run: would be written or is unchanged), else
 * ExitCode.partial: a kind failed (SETTINGS_NOT_STORED, ...), an entry failed or was skipped,
 * a principal was left out for want of a mapping, or the snapshot holds no settings at all.
 */
export async function runSettingsRestore(run: SettingsRestoreRun, out: Output): Promise<number> {
  const report = await restoreSettings({
    repository: run.repository,
    target: run.target,
    mailbox: run.mailbox,
    snapshot: run.snapshotId,
    ...(run.toMailbox ? { toMailbox: run.toMailbox } : {}),
    ...(run.choice.kinds ? { kinds: run.choice.kinds } : {}),
    ...(run.choice.userConfigurationNames
      ? { userConfigurationNames: run.choice.userConfigurationNames }
      : {}),
    ...(run.principalMap ? { principalMap: run.principalMap } : {}),
    dryRun: run.dryRun,
    signal: run.signal,
  });
  if (report.present === false) {
    // Bare --settings on a snapshot without settings: nothing asked could be restored.
    out.event(
      "settings-report",
      { ...report },
      () =>
        `snapshot ${report.snapshotId.slice(0, 12)} holds no settings (backed up before settings were, or with --no-settings); nothing restored`,
    );
    return ExitCode.partial;
  }
  printSettingsReport(report, out);
  return settingsExitCode(report);
}

/** Per kind its entries, then the unmapped principals, then one summary line. */
export function printSettingsReport(report: SettingsRestoreReport, out: Output): void {
  for (const [kind, kindReport] of Object.entries(report.kinds) as [
    SettingsKind,
    SettingsKindRestoreReport,
  ][]) {
    out.event("settings-kind", { kind, ...kindReport }, () => kindLines(kind, kindReport).join("\n"));
  }
  for (const principal of report.unmappedPrincipals) {
    out.event(
      "settings-unmapped",
      { ...principal },
      () =>
        `unmapped ${principal.code}: ${shown(principal.address)} (${principal.kind} ${shown(principal.entry)}, ${shown(principal.field)}) ${report.dryRun ? "would be" : "was"} left out`,
    );
  }
  const tally = tallyEntries(report);
  out.event("settings-report", { ...report }, () => {
    const verb = report.dryRun ? "dry run, nothing written:" : "settings restored:";
    const counts = Object.entries(tally)
      .filter(([, n]) => n > 0)
      .map(([status, n]) => `${n} ${status}`)
      .join(", ");
    return `${verb} ${counts || "no entries"}; ${report.unmappedPrincipals.length} unmapped principal(s); into ${shown(report.toMailbox)} from snapshot ${report.snapshotId.slice(0, 12)}`;
  });
}

function kindLines(kind: SettingsKind, report: SettingsKindRestoreReport): string[] {
  if (!report.ok)
    return [`${kind}: failed ${report.failure?.code ?? "?"}: ${shown(report.failure?.message ?? "")}`];
  return [
    `${kind}: ${report.entries.length} entry(ies)`,
    ...report.entries.map((entry) => `  ${entryLine(entry)}`),
  ];
}

function entryLine(entry: SettingsEntryRestoreReport): string {
  const why =
    entry.code === undefined ? "" : ` ${entry.code}${entry.message ? `: ${shown(entry.message)}` : ""}`;
  return `${entry.status} ${shown(entry.entry)}${why}`;
}

function tallyEntries(report: SettingsRestoreReport): Record<string, number> {
  const tally: Record<string, number> = { written: 0, "would-write": 0, unchanged: 0, skipped: 0, failed: 0 };
  for (const kindReport of Object.values(report.kinds))
    for (const entry of kindReport?.entries ?? []) tally[entry.status] = (tally[entry.status] ?? 0) + 1;
  return tally;
}

/** ok when everything asked for was (would be) written as backed up; else partial. */
export function settingsExitCode(report: SettingsRestoreReport): number {
  const kinds = Object.values(report.kinds);
  const incomplete =
    kinds.some((kind) => kind !== undefined && !kind.ok) ||
    kinds.some((kind) => kind?.entries.some((e) => e.status === "failed" || e.status === "skipped")) ||
    report.unmappedPrincipals.length > 0;
  return incomplete ? ExitCode.partial : ExitCode.ok;
}
