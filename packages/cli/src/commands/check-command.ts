// `ewsvault check`: the pre-flight an administrator runs before the first backup — endpoint
// reachable, credentials accepted, impersonation allowed, each mailbox reachable — each check
// one line with a stable code, and hints about throttling.
import type { Command } from "commander";
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
  const client = await ewsClientFromOptions(options);
  let failures = 0;
  const report = (name: string, ok: boolean, detail: string, code?: string) => {
    if (!ok) failures++;
    out.event(
      "check",
      { check: name, ok, detail, ...(code ? { code } : {}) },
      () => `${ok ? "ok  " : "FAIL"}  ${name}: ${detail}${code ? ` (${code})` : ""}`,
    );
  };
  try {
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
        const page = await client.syncFolderHierarchy(mailbox, { maxChanges: 512 });
        report(`hierarchy ${mailbox}`, true, `${page.changes.length} folders visible`);
        if (ms > 2000)
          out.info(
            `hint: ${ms} ms per request; consider --item-concurrency above 4 if the server's throttling policy allows`,
          );
      } catch (error) {
        const code = errorCode(error);
        const hint =
          code === "EWS_AUTH_FAILED"
            ? "credentials rejected"
            : code === "EWS_IMPERSONATION_DENIED"
              ? "the account lacks the ApplicationImpersonation role for this mailbox"
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
  } finally {
    await client.close();
  }
  return failures === 0 ? ExitCode.ok : ExitCode.failure;
}
