// The config file's format, defined once: this zod schema validates files (strict objects, so
// a misspelt key is an error, not a silently ignored default) and generates the README's
// config reference (configReference(), checked against the README by a test).
import { z } from "zod";
import { AUTH_SCHEMES } from "./option-validation.js";

/** Hierarchies a backup set can name (the engine's HierarchyRootName). */
export const ROOT_NAMES = ["mailbox", "archive", "recoverable", "public"] as const;
/** Mailbox kinds discovery can include (see @ewsvault/ews discovery). */
export const MAILBOX_KINDS = ["user", "shared", "room", "equipment"] as const;

const text = z.string().min(1);
const list = z.array(text);
const count = z.number().int().min(1);

/** A schedule of the service (@ewsvault/service validates the expression and the zone itself). */
const scheduleSchema = z.strictObject({ cron: text, timezone: text.optional() });

export const backupSetSchema = z.strictObject({
  mailboxes: list
    .min(1)
    .describe('SMTP addresses to back up; `["*"]` = every mailbox discovery finds (see `--all-mailboxes`)'),
  includeMailboxes: list.optional().describe('with `["*"]`: only discovered mailboxes matching these globs'),
  excludeMailboxes: list.optional().describe("leave out mailboxes matching these globs"),
  mailboxKinds: z
    .array(z.enum(MAILBOX_KINDS))
    .optional()
    .describe('with `["*"]`: kinds of mailbox to include (default `[user, shared]`)'),
  roots: z
    .array(z.enum(ROOT_NAMES))
    .optional()
    .describe("hierarchies: `mailbox`, `archive`, `recoverable`, `public` (default `[mailbox]`)"),
  includeFolders: list.optional().describe("only these folders (path globs or distinguished names)"),
  excludeFolders: list.optional().describe("skip these folders"),
  includeItemClasses: list.optional().describe("only these item classes (prefixes)"),
  excludeItemClasses: list.optional().describe("skip these item classes"),
  tags: list.optional().describe("tags for the snapshots"),
  mailboxConcurrency: count.optional().describe("mailboxes at once (default 4)"),
  itemConcurrency: count.optional().describe("EWS requests in flight per mailbox (default 4)"),
  captureMime: z.boolean().optional().describe("also store MIME of mail items for `export`"),
  associatedItems: z
    .boolean()
    .optional()
    .describe("back up folder-associated items (rules, views, forms); default true"),
  settings: z
    .boolean()
    .optional()
    .describe(
      "back up mailbox settings (rules, out-of-office, permissions, delegates, configurations); default true",
    ),
  schedule: scheduleSchema
    .optional()
    .describe("when `ewsvault scheduler` runs the set: `{ cron, timezone }` (IANA zone, default UTC)"),
  retention: z
    .strictObject({
      keepLast: count.optional(),
      keepHourly: count.optional(),
      keepDaily: count.optional(),
      keepWeekly: count.optional(),
      keepMonthly: count.optional(),
      keepYearly: count.optional(),
      keepWithinMs: count.optional(),
      keepTags: list.optional(),
      prune: scheduleSchema.optional(),
    })
    .optional()
    .describe("forget policy the service applies after each run of the set (`prune`: its own schedule)"),
  verify: scheduleSchema
    .extend({
      readDataSubset: z
        .union([z.number().gt(0).max(1), z.string().regex(/^\d+(\.\d+)?%$/)])
        .optional()
        .describe('fraction of packs read back, 0 < x <= 1, or a percentage such as `"10%"`'),
    })
    .optional()
    .describe("scheduled verify of the repository (`readDataSubset`: fraction of packs read)"),
});

export const ewsSchema = z.strictObject({
  url: z.url().optional().describe("EWS endpoint (env `EWS_URL`)"),
  username: text.optional().describe("account (env `EWS_USERNAME`)"),
  domain: text.optional().describe("Windows domain of the account (env `EWS_DOMAIN`)"),
  passwordFile: text.optional().describe("file holding the EWS password"),
  passwordCommand: text.optional().describe("command whose standard output is the EWS password"),
  auth: z.enum(AUTH_SCHEMES).optional().describe("how to authenticate (as `--auth`; default `basic`)"),
  tokenUrl: z.url().optional().describe("OAuth token endpoint for `client-credentials`"),
  clientId: text.optional().describe("OAuth client id for `client-credentials`"),
  impersonation: z.boolean().optional().describe("use ExchangeImpersonation (default true)"),
  caFile: text.optional().describe("PEM file of an extra trusted CA for the EWS endpoint (as `--ca-file`)"),
  allowInsecureBasic: z
    .boolean()
    .optional()
    .describe("allow a Basic password or token over plain http (as `--allow-insecure-basic`)"),
});

export const ldapSchema = z.strictObject({
  url: text.describe(
    "`ldaps://dc.contoso.com` or `ldap://...` (upgraded with StartTLS); discovery reads Active Directory",
  ),
  base: text.optional().describe("search base DN (default: the server's defaultNamingContext)"),
  bindDn: text.optional().describe("bind identity, a DN or UPN (default: `ews.username`)"),
  caFile: text.optional().describe("PEM file of the CA that signed the directory's certificate"),
  passwordFile: text
    .optional()
    .describe("file holding the LDAP password (env `EWSVAULT_LDAP_PASSWORD[_FILE|_COMMAND]`)"),
  passwordCommand: text.optional().describe("command whose standard output is the LDAP password"),
});

export const configSchema = z.strictObject({
  repository: text.optional().describe("repository location (as `--repo`)"),
  passwordFile: text.optional().describe("file holding the repository password"),
  passwordCommand: text.optional().describe("command whose standard output is the repository password"),
  cacheDir: text.optional().describe("local cache directory (as `--cache-dir`)"),
  ews: ewsSchema.optional().describe("the EWS endpoint and account"),
  ldap: ldapSchema
    .optional()
    .describe("Active Directory for `--all-mailboxes` (instead of the EWS address book)"),
  sets: z.record(text, backupSetSchema).optional().describe("named backup sets (`backup --set NAME`)"),
});

export type ConfigFile = z.infer<typeof configSchema>;
export type BackupSetConfig = z.infer<typeof backupSetSchema>;

type Described = { description?: string };

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (current instanceof z.ZodOptional) current = current.unwrap() as z.ZodType;
  return current;
}

/** The object schema at a path of the config (record keys skipped), for "did you mean". */
export function objectAt(path: readonly PropertyKey[]): z.ZodObject | undefined {
  let current: z.ZodType = configSchema;
  for (const key of path) {
    current = unwrap(current);
    if (current instanceof z.ZodObject) {
      const next = (current.shape as Record<string, z.ZodType>)[String(key)];
      if (next === undefined) return undefined;
      current = next;
    } else if (current instanceof z.ZodRecord) {
      current = current.valueType as z.ZodType;
    } else return undefined;
  }
  current = unwrap(current);
  return current instanceof z.ZodObject ? current : undefined;
}

function typeName(schema: z.ZodType): string {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodArray) {
    const element = unwrap(inner.element as z.ZodType);
    return element instanceof z.ZodEnum
      ? `list of ${(element.options as string[]).join(", ")}`
      : "list of strings";
  }
  if (inner instanceof z.ZodEnum) return `one of ${(inner.options as string[]).join(", ")}`;
  if (inner instanceof z.ZodRecord) return "map of name to set";
  if (inner instanceof z.ZodObject) return "object";
  if (inner instanceof z.ZodNumber) return "integer";
  if (inner instanceof z.ZodBoolean) return "boolean";
  return "string";
}

/** Markdown table of every key, generated from the schema (the README embeds it verbatim). */
export function configReference(): string {
  const rows: string[] = ["| key | type | meaning |", "| --- | --- | --- |"];
  const walk = (object: z.ZodObject, prefix: string) => {
    for (const [key, value] of Object.entries(object.shape as Record<string, z.ZodType>)) {
      const name = `${prefix}${key}`;
      rows.push(`| \`${name}\` | ${typeName(value)} | ${(value as Described).description ?? ""} |`);
      const inner = unwrap(value);
      if (inner instanceof z.ZodObject) walk(inner, `${name}.`);
      if (inner instanceof z.ZodRecord)
        walk(unwrap(inner.valueType as z.ZodType) as z.ZodObject, `${name}.NAME.`);
    }
  };
  walk(configSchema, "");
  return rows.join("\n");
}
