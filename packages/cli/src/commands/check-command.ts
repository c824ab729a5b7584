// `ewsvault check`: the pre-flight an administrator runs before the first backup — endpoint
// reachable, credentials accepted, impersonation (or delegate access) allowed per mailbox, each
// mailbox reachable — each check one line with a stable code, then what the check's own
// requests met of throttling, with hints (check-report.ts).
import type { ResponseInfo } from "@ewsvault/ews";
import type { Command } from "commander";
import { accessLine, type CheckLine, throttlingLines } from "../check-report.js";
import { type EwsOptions, ewsClientFromOptions } from "../context.js";
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
    // Offered authentication schemes (WWW-Authenticate of an anonymous request) are reported
    // here, before any mailbox: see the ntlm/negotiate work (check-auth-schemes).
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
