// `ewsvault check`: the pre-flight an administrator runs before the first backup — endpoint
// reachable, credentials accepted, impersonation (or delegate access) allowed per mailbox, each
// mailbox reachable — each check one line with a stable code, then what the check's own
// requests met of throttling, with hints (check-report.ts).
import { readFile } from "node:fs/promises";
import { type EwsClient, probeAuthSchemes, type ResponseInfo } from "@ewsvault/ews";
import type { Command } from "commander";
import { accessLine, type CheckLine, throttlingLines } from "../check-report.js";
import { type EwsOptions, ewsClientFromOptions, ewsUrl } from "../context.js";
import { CliError, ExitCode, errorCode } from "../errors.js";
import type { Output } from "../output.js";
import { addEwsOptions, type CommandRunner } from "./shared.js";

export function registerCheckCommand(program: Command, run: CommandRunner): void {
  addEwsOptions(program.command("check").description("pre-flight checks against the EWS endpoint"))
    .option("--mailbox <smtp...>", "mailboxes to check")
    .option("--json", "print newline-delimited JSON events")
    .option("--quiet", "less output")
    .action((options: EwsOptions & { mailbox?: string[]; json?: boolean; quiet?: boolean }) =>
      run(options, (out) => checkCommand(options, out)),
    );
}

async function checkCommand(options: EwsOptions & { mailbox?: string[] }, out: Output): Promise<number> {
  if (!options.mailbox?.length)
    throw new CliError("MAILBOX_REQUIRED", "name at least one --mailbox", ExitCode.usage);
  const durations: number[] = [];
  const client = await ewsClientFromOptions({
    ...options,
    onResponse: (info: ResponseInfo) => durations.push(info.durationMs),
  } as EwsOptions);
  let failures = 0;
  const report = (name: string, ok: boolean, detail: string, code?: string) => {
    if (!ok) failures++;
    out.event(
      "check",
      { check: name, ok, detail, ...(code ? { code } : {}) },
      () => `${ok ? "ok  " : "FAIL"}  ${name}: ${detail}${code ? ` (${code})` : ""}`,
    );
  };
  const line = (l: CheckLine | undefined) => {
    if (l !== undefined) report(l.check, l.ok, l.detail, l.code);
  };
  const impersonation = options.impersonation !== false;
  try {
    // Offered authentication schemes (WWW-Authenticate of an anonymous request), before any
    // mailbox and before any credential is sent.
    if (!(await checkAuthentication(options, client, report))) return ExitCode.failure;
    for (const mailbox of options.mailbox) {
      const started = Date.now();
      try {
        const info = await client.getMailboxInfo(mailbox);
        const ms = Date.now() - started;
        report(
          `mailbox ${mailbox}`,
          true,
          `reachable, ${Object.keys(info.distinguishedFolders).length} distinguished folders, ${ms} ms`,
        );
        line(accessLine(mailbox, impersonation, undefined));
        const page = await client.syncFolderHierarchy(mailbox, { maxChanges: 512 });
        report(`hierarchy ${mailbox}`, true, `${page.changes.length} folders visible`);
        if (mailbox === options.mailbox[0]) reportChannelBinding(options, client, report);
      } catch (error) {
        const code = errorCode(error);
        const access = accessLine(mailbox, impersonation, code);
        if (access !== undefined) {
          line(access);
          continue;
        }
        const hint =
          code === "EWS_AUTH_FAILED"
            ? "credentials rejected"
            : code === "EWS_MAILBOX_NOT_FOUND"
              ? "no such mailbox"
              : code === "EWS_UNREACHABLE" || code === "EWS_TLS"
                ? "endpoint unreachable (URL, DNS, firewall, certificate)"
                : code === "EWS_THROTTLED"
                  ? "throttled: lower --mailbox-concurrency/--item-concurrency or raise EWSMaxConcurrency"
                  : (error as Error).message;
        report(`mailbox ${mailbox}`, false, hint, code);
        if (code === "EWS_AUTH_FAILED" || code === "EWS_UNREACHABLE" || code === "EWS_TLS") break;
      }
    }
    for (const l of throttlingLines(client.stats(), client.gate.snapshot(), durations)) line(l);
  } finally {
    await client.close();
  }
  return failures === 0 ? ExitCode.ok : ExitCode.failure;
}

type Report = (name: string, ok: boolean, detail: string, code?: string) => void;

/** The scheme a --auth value sends: client-credentials is a bearer token. */
function schemeOf(auth: EwsOptions["auth"]): string {
  return auth === undefined ? "basic" : auth === "client-credentials" ? "bearer" : auth;
}

/**
 * Asks the endpoint, without credentials, which schemes it offers (the 401's WWW-Authenticate
 * headers) and says whether the configured one is among them. A scheme the server does not offer
 * stops the check before any credential is sent (failed logins can lock the account).
 */
async function checkAuthentication(
  options: EwsOptions,
  _client: EwsClient,
  report: Report,
): Promise<boolean> {
  const wanted = schemeOf(options.auth);
  let probe: Awaited<ReturnType<typeof probeAuthSchemes>>;
  try {
    probe = await probeAuthSchemes(ewsUrl(options) as string, {
      ...(options.insecureTls ? { allowInsecureTls: true } : {}),
      ...(options.caFile ? { ca: await readFile(options.caFile, "utf8") } : {}),
    });
  } catch (error) {
    report("endpoint", false, (error as Error).message, errorCode(error));
    return false;
  }
  if (probe.status !== 401) {
    report(
      "authentication",
      true,
      `the endpoint answered HTTP ${probe.status} without credentials; using ${wanted}`,
    );
    return true;
  }
  const offered = probe.offered.length > 0 ? probe.offered.join(", ") : "no scheme";
  if (probe.offered.includes(wanted)) {
    report("authentication", true, `the server offers ${offered}; using ${wanted}`);
    return true;
  }
  const better = probe.offered.find(
    (s) => s === "negotiate" || s === "ntlm" || s === "basic" || s === "bearer",
  );
  report(
    "authentication",
    false,
    `the server offers ${offered}, not ${wanted}${better ? `: use --auth ${better === "bearer" ? "bearer or client-credentials" : better}` : ""}`,
    "EWS_AUTH_SCHEME_NOT_OFFERED",
  );
  return false;
}

/**
 * NTLM/Negotiate over https: whether the channel binding (Extended Protection) was sent. The
 * client always sends it over TLS, so it works whether the server requires it or not; the server
 * does not say which it does, and a test login without the binding could count as a failed one.
 */
function reportChannelBinding(options: EwsOptions, client: EwsClient, report: Report): void {
  const scheme = schemeOf(options.auth);
  if (scheme !== "ntlm" && scheme !== "negotiate") return;
  const sent = client.stats().channelBinding === true;
  report(
    "extended protection",
    true,
    sent
      ? "the TLS channel binding was sent (accepted with Extended Protection Required, Allow or None)"
      : "plain http: no channel binding (a server with Extended Protection Required refuses http)",
  );
}
