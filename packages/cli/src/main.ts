// The ewsvault command line: wires the packages together and holds no logic of its own beyond
// reading options, passwords and printing. Exit codes are listed in the README.
import { createRequire } from "node:module";
import { Command, CommanderError } from "commander";
import { registerBackupCommand } from "./commands/backup-command.js";
import { registerCheckCommand } from "./commands/check-command.js";
import { registerKeyCommands } from "./commands/key-commands.js";
import { registerRepositoryCommands } from "./commands/repository-commands.js";
import { registerRestoreCommands } from "./commands/restore-commands.js";
import type { CommandRunner } from "./commands/shared.js";
import { addCommonOptions } from "./config-defaults.js";
import { ExitCode, exitCodeFor, formatError } from "./errors.js";
import { applyOptionValidation } from "./option-validation.js";
import { createOutput, jsonLine } from "./output.js";

// package.json's version, so a release (`changeset version` bumps package.json) changes it in one
// place; "../package.json" is the package's manifest from both src/ and the built dist/.
export const VERSION: string = (createRequire(import.meta.url)("../package.json") as { version: string })
  .version;

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const run: CommandRunner = async (options, body) => {
    const out = createOutput({ json: options.json === true, quiet: options.quiet === true });
    try {
      exitCode = await body(out);
    } catch (error) {
      out.done();
      if (out.json)
        process.stdout.write(jsonLine({ type: "error", code: codeOf(error), message: messageOf(error) }));
      process.stderr.write(`${formatError(error)}\n`);
      exitCode = exitCodeFor(error);
    }
  };
  const program = new Command("ewsvault")
    .description(
      "Back up and restore Exchange mailboxes over EWS into an encrypted, deduplicating repository",
    )
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)");
  registerRepositoryCommands(program, run);
  registerKeyCommands(program, run);
  registerBackupCommand(program, run);
  registerRestoreCommands(program, run);
  registerCheckCommand(program, run);
  // After every command exists: --config (validated before any action) and password commands,
  // then the checks of every option (they see the options just added too).
  addCommonOptions(program);
  applyOptionValidation(program);
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    // A config file that fails validation (preAction hook) lands here, before any command ran.
    process.stderr.write(`${formatError(error)}\n`);
    return exitCodeFor(error);
  }
  return exitCode;
}

function codeOf(error: unknown): string {
  return error && typeof error === "object" && "code" in error && typeof error.code === "string"
    ? error.code
    : "INTERNAL";
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
