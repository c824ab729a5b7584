// Which mailboxes a backup covers: named ones (`--mailbox`, a set's `mailboxes`), or every
// mailbox of the address book (`--all-mailboxes`, `mailboxes: ["*"]`) filtered by kind and
// include/exclude globs. An empty result is an error, never a backup of nothing.
import type { DiscoveredMailbox, MailboxKind } from "@ewsvault/ews";
import picomatch from "picomatch";
import type { BackupSetConfig } from "./config-schema.js";
import { MAILBOX_KINDS } from "./config-schema.js";
import { CliError, ExitCode } from "./errors.js";

export interface MailboxListOptions {
  readonly mailbox?: readonly string[];
  readonly allMailboxes?: boolean;
  readonly includeMailbox?: readonly string[];
  readonly excludeMailbox?: readonly string[];
  readonly mailboxKind?: readonly string[];
}

/** Kinds `--all-mailboxes` takes when none are named: people's mailboxes, not rooms and devices. */
export const DEFAULT_MAILBOX_KINDS: readonly MailboxKind[] = ["user", "shared"];

/** What discovery found, by EWS (FindPeople/ResolveNames) or LDAP. */
export interface MailboxDirectory {
  readonly mailboxes: readonly DiscoveredMailbox[];
  readonly method: string;
  readonly fallbackReason?: string;
  readonly requests: number;
}

export interface ResolvedMailboxes {
  readonly mailboxes: readonly string[];
  /** Present when the address book was asked. */
  readonly discovery?: MailboxDirectory;
}

function kinds(values: readonly string[] | undefined): readonly MailboxKind[] {
  if (values === undefined) return DEFAULT_MAILBOX_KINDS;
  const list = values.flatMap((v) => v.split(",")).map((v) => v.trim().toLowerCase());
  for (const kind of list) {
    if (!(MAILBOX_KINDS as readonly string[]).includes(kind))
      throw new CliError(
        "INVALID_ARGUMENT",
        `--mailbox-kind: "${kind}" is not one of ${MAILBOX_KINDS.join(", ")}`,
        ExitCode.usage,
      );
  }
  return list as MailboxKind[];
}

const matcher = (globs: readonly string[]) => {
  const tests = globs.map((glob) => picomatch(glob, { nocase: true }));
  return (address: string) => tests.some((test) => test(address));
};

export async function resolveMailboxes(
  cli: MailboxListOptions,
  set: Partial<BackupSetConfig>,
  discover: () => Promise<MailboxDirectory>,
): Promise<ResolvedMailboxes> {
  const named = [...(cli.mailbox ?? set.mailboxes ?? [])];
  const everything = cli.allMailboxes === true || named.includes("*");
  const excluded = matcher([...(cli.excludeMailbox ?? []), ...(set.excludeMailboxes ?? [])]);
  let discovery: MailboxDirectory | undefined;
  const chosen = named.filter((m) => m !== "*");
  if (everything) {
    discovery = await discover();
    const wanted = new Set(kinds(cli.mailboxKind ?? set.mailboxKinds));
    const includeGlobs = cli.includeMailbox ?? set.includeMailboxes;
    const included = includeGlobs === undefined ? () => true : matcher(includeGlobs);
    for (const found of discovery.mailboxes) {
      if (wanted.has(found.kind) && included(found.smtpAddress)) chosen.push(found.smtpAddress);
    }
  }
  const seen = new Set<string>();
  const mailboxes = chosen.filter((m) => {
    const key = m.toLowerCase();
    if (seen.has(key) || excluded(m)) return false;
    seen.add(key);
    return true;
  });
  if (mailboxes.length === 0) {
    if (!everything && named.length === 0)
      throw new CliError(
        "MAILBOX_REQUIRED",
        "name mailboxes with --mailbox, --all-mailboxes or --set",
        ExitCode.usage,
      );
    throw new CliError(
      "NOTHING_MATCHED",
      everything
        ? `no mailbox left to back up: the address book listed ${discovery?.mailboxes.length ?? 0}, the kind, include and exclude options removed them all`
        : "every mailbox named is excluded by --exclude-mailbox / excludeMailboxes",
    );
  }
  return { mailboxes, ...(discovery === undefined ? {} : { discovery }) };
}
