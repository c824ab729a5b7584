// How a command turns "which snapshot" into one: a full id, a unique id prefix (as `snapshots`
// prints them), "latest", or an ISO time, the last two within a snapshot group (`--group`,
// `--set`, else the mailbox's default group; see @ewsvault/core resolveSnapshot).

import type { Repository } from "@ewsvault/core";
import { resolveSnapshot, type Snapshot } from "@ewsvault/core";
import { parseDate } from "./commands/shared.js";
import { CliError, ExitCode } from "./errors.js";

/** Shortest snapshot id prefix accepted (restic's limit too). */
const MIN_PREFIX = 4;

export async function resolveSnapshotArgument(
  repository: Repository,
  snapshot: string,
  mailbox: string | undefined,
  group?: string,
): Promise<Snapshot> {
  if (snapshot === "latest" || /^\d{4}-\d{2}-\d{2}/.test(snapshot)) {
    if (!mailbox)
      throw new CliError(
        "MAILBOX_REQUIRED",
        `--mailbox is needed with snapshot "${snapshot}"`,
        ExitCode.usage,
      );
    const at = snapshot === "latest" ? "latest" : parseDate(snapshot, "snapshot time");
    return resolveSnapshot(repository, mailbox, at, group);
  }
  const id = snapshot.toLowerCase();
  if (/^[0-9a-f]{64}$/.test(id)) return repository.loadSnapshot(id);
  if (new RegExp(`^[0-9a-f]{${MIN_PREFIX},63}$`).test(id)) {
    const matches = (await repository.listSnapshots(mailbox ? { mailbox } : {})).filter((s) =>
      s.id.startsWith(id),
    );
    if (matches.length === 1) return matches[0]!;
    throw new CliError(
      matches.length === 0 ? "REPO_SNAPSHOT_NOT_FOUND" : "SNAPSHOT_AMBIGUOUS",
      matches.length === 0
        ? `no snapshot ${snapshot}${mailbox ? ` of ${mailbox}` : ""}`
        : `snapshot prefix ${snapshot} is ambiguous (${matches.length} snapshots)`,
    );
  }
  throw new CliError(
    "SNAPSHOT_INVALID",
    `"${snapshot}" is not a snapshot id, 'latest' or a time`,
    ExitCode.usage,
  );
}
