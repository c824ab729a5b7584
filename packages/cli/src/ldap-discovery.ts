// Mailbox discovery through Active Directory (LDAP, with ldapts): the one source that tells a
// shared mailbox from a user's, because it reads msExchRecipientTypeDetails. A paged subtree
// search for mail-enabled objects with that attribute; the result has the same shape as the
// EWS address-book discovery, so `backup --all-mailboxes --ldap-url ...` filters it the same way.
import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import type { DiscoveredMailbox, MailboxKind } from "@ewsvault/ews";
import { Client } from "ldapts";
import { CliError, ExitCode } from "./errors.js";
import type { MailboxDirectory } from "./mailbox-list.js";

export interface LdapDiscoveryOptions {
  /** ldaps://dc.contoso.com (or ldap:// with startTls). */
  readonly url: string;
  /** Search base; default the server's defaultNamingContext (RootDSE). */
  readonly base?: string;
  /** Bind identity: a DN, or for Active Directory a UPN (svc-backup@contoso.com). */
  readonly bindDn: string;
  readonly password: string;
  /** PEM file of the CA that signed the directory's certificate (default: the system's CAs). */
  readonly caFile?: string;
  /** Accept any TLS certificate (never in production). */
  readonly insecureTls?: boolean;
  /** Entries per page of the paged search; default 500 (AD's MaxPageSize is 1000). */
  readonly pageSize?: number;
}

/**
 * msExchRecipientTypeDetails values that are mailboxes an on-premises EWS endpoint can open.
 * Remote (Exchange Online) mailboxes, mail users, contacts and groups are left out.
 */
const RECIPIENT_KINDS: ReadonlyMap<bigint, MailboxKind> = new Map([
  [1n, "user"], // UserMailbox
  [2n, "user"], // LinkedMailbox
  [4n, "shared"], // SharedMailbox
  [8n, "user"], // LegacyMailbox
  [16n, "room"], // RoomMailbox
  [32n, "equipment"], // EquipmentMailbox
]);

export function kindOfRecipient(details: string | undefined): MailboxKind | undefined {
  if (details === undefined || !/^\d+$/.test(details.trim())) return undefined;
  return RECIPIENT_KINDS.get(BigInt(details.trim()));
}

const first = (value: Buffer | Buffer[] | string[] | string | undefined): string | undefined => {
  if (value === undefined) return undefined;
  const one = Array.isArray(value) ? value[0] : value;
  return one === undefined ? undefined : String(one);
};

/**
 * MUST reject with LDAP_FAILED (bind refused, server unreachable, search failed), naming the
 * server but never the password.
 */
export async function discoverMailboxesLdap(options: LdapDiscoveryOptions): Promise<MailboxDirectory> {
  // StartTLS upgrades an existing socket: say which host the certificate must name (Node
  // otherwise checks it against "localhost").
  const host = new URL(options.url).hostname.replace(/^\[|\]$/g, "");
  const tlsOptions = {
    host,
    ...(isIP(host) === 0 ? { servername: host } : {}),
    ...(options.insecureTls ? { rejectUnauthorized: false } : {}),
    ...(options.caFile ? { ca: await readFile(options.caFile, "utf8") } : {}),
  };
  const url = options.url.toLowerCase();
  if (!url.startsWith("ldap://") && !url.startsWith("ldaps://"))
    throw new CliError("INVALID_ARGUMENT", "--ldap-url must be ldaps://host or ldap://host", ExitCode.usage);
  // ldapts speaks TLS from the first byte whenever tlsOptions are given: only for ldaps://.
  const client = new Client({
    url: options.url,
    connectTimeout: 10_000,
    timeout: 120_000,
    ...(url.startsWith("ldaps://") ? { tlsOptions } : {}),
  });
  let requests = 0;
  try {
    // A simple bind sends the password as it is: never without TLS. ldap:// is upgraded first.
    if (url.startsWith("ldap://")) {
      await client.startTLS(tlsOptions);
      requests++;
    }
    await client.bind(options.bindDn, options.password);
    requests++;
    let base = options.base;
    if (base === undefined) {
      const root = await client.search("", { scope: "base", attributes: ["defaultNamingContext"] });
      requests++;
      base = first(root.searchEntries[0]?.defaultNamingContext);
      if (base === undefined)
        throw new CliError(
          "LDAP_FAILED",
          `${options.url} names no defaultNamingContext; give --ldap-base`,
          ExitCode.usage,
        );
    }
    const result = await client.search(base, {
      scope: "sub",
      filter: "(&(mail=*)(msExchRecipientTypeDetails=*))",
      attributes: ["mail", "displayName", "msExchRecipientTypeDetails"],
      paged: { pageSize: options.pageSize ?? 500 },
    });
    requests++;
    const byAddress = new Map<string, DiscoveredMailbox>();
    for (const entry of result.searchEntries) {
      const mail = first(entry.mail);
      const kind = kindOfRecipient(first(entry.msExchRecipientTypeDetails));
      if (mail === undefined || kind === undefined) continue;
      byAddress.set(mail.toLowerCase(), {
        smtpAddress: mail,
        displayName: first(entry.displayName) ?? mail,
        kind,
      });
    }
    const mailboxes = [...byAddress.values()].sort((a, b) =>
      a.smtpAddress.toLowerCase() < b.smtpAddress.toLowerCase() ? -1 : 1,
    );
    return { mailboxes, method: "LDAP", requests };
  } catch (error) {
    if (error instanceof CliError) throw error;
    // ldapts names the LDAP result in the error class (InvalidCredentialsError, ...), not the message.
    const { name, message } = error as Error;
    throw new CliError("LDAP_FAILED", `LDAP discovery at ${options.url} failed: ${name}: ${message.trim()}`);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}
