// Option groups shared by several commands, and the runner that turns a command's outcome into
// output and an exit code.
import { type Command, InvalidArgumentError } from "commander";
import { CliError, ExitCode } from "../errors.js";
import { parseStrictDate } from "../option-validation.js";
import type { Output } from "../output.js";

export type CommandRunner = (
  options: { json?: boolean; quiet?: boolean },
  body: (out: Output) => Promise<number>,
) => Promise<void>;

export function addRepoOptions(command: Command): Command {
  return command
    .option(
      "--repo <path-or-url>",
      "repository: a path, s3:..., azure:..., sftp:... (env EWSVAULT_REPOSITORY)",
    )
    .option(
      "--password-file <file>",
      "read the repository password from this file (else EWSVAULT_PASSWORD, else a prompt)",
    )
    .option(
      "--cache-dir <dir>",
      "local cache and index directory (env EWSVAULT_CACHE_DIR; default ~/.cache/ewsvault)",
    )
    .option("--json", "print newline-delimited JSON events")
    .option("--quiet", "no progress or informational output");
}

export function addEwsOptions(command: Command, prefix = ""): Command {
  const p = prefix === "" ? "" : `${prefix}-`;
  const who = prefix === "" ? "" : ` of the ${prefix} server`;
  const withUrl = command
    .option(`--${p}ews-url <url>`, `EWS endpoint${who}, e.g. https://mail.contoso.com/EWS/Exchange.asmx`)
    .option(`--${p}username <user>`, `account${who} with impersonation rights`)
    .option(
      `--${p}ews-password-file <file>`,
      `read the EWS password${who} from a file (else ${prefix === "" ? "EWS_PASSWORD" : "EWS_TARGET_PASSWORD"}, else a prompt)`,
    )
    .option(
      `--${p}auth <kind>`,
      "basic | ntlm | negotiate (Windows authentication, on-premises) | bearer (token in EWS_TOKEN) | client-credentials",
      "basic",
    )
    .option(
      `--${p}domain <name>`,
      "Windows domain for ntlm/negotiate when the user name has none (DOMAIN\\user and user@domain work too)",
    )
    .option(
      `--${p}token-url <url>`,
      "OAuth token endpoint for client-credentials (Entra ID or AD FS .../adfs/oauth2/token)",
    )
    .option(`--${p}client-id <id>`, "OAuth client id for client-credentials (secret in EWS_CLIENT_SECRET)")
    .option(
      `--${p}token-resource <uri>`,
      "AD FS: ask for a token for this resource (e.g. https://mail.contoso.com) instead of a scope",
    )
    .option(
      `--${p}token-scope <scope>`,
      "OAuth scope for client-credentials [https://outlook.office365.com/.default]",
    )
    .option(
      `--${p}ca-file <pem>`,
      "trust this CA (or self-signed) certificate for the EWS endpoint, in addition to the system's",
    )
    .option(`--${p}insecure-tls`, "accept any TLS certificate (never do this in production)")
    .option(
      `--${p}allow-insecure-basic`,
      "send a Basic password or bearer token over plain http (refused otherwise; never in production)",
    );
  return prefix === ""
    ? withUrl.option("--no-impersonation", "use delegate access instead of ExchangeImpersonation")
    : withUrl;
}

export function parseDate(text: string, what: string): Date {
  try {
    return new Date(parseStrictDate(text));
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    throw new CliError(
      "INVALID_ARGUMENT",
      `${what}: "${text}" is not a date: ${error.message}`,
      ExitCode.usage,
    );
  }
}

export function positiveInteger(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new CliError("INVALID_ARGUMENT", `${what} must be a whole number >= 1`, ExitCode.usage);
  return n;
}
