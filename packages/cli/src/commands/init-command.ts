// `ewsvault init`: creates an encrypted repository, asking for the new password twice when a
// person types it (a typo there would lock the data away for good).
import { initRepository } from "@ewsvault/core";
import type { Command } from "commander";
import { type RepoOptions, repositoryLocation } from "../context.js";
import { openDestination } from "../destinations.js";
import { CliError, ExitCode } from "../errors.js";
import type { Output } from "../output.js";
import { promptHidden, readPassword } from "../secrets.js";
import { addRepoOptions, type CommandRunner } from "./shared.js";

export function registerInitCommand(program: Command, run: CommandRunner): void {
  addRepoOptions(program.command("init").description("create a new encrypted repository"))
    .option("--pack-size <MiB>", "target pack size in MiB", "16")
    .action((options) => run(options, (out) => initCommand(options, out)));
}

async function initCommand(options: RepoOptions & { packSize: string }, out: Output): Promise<number> {
  const destination = await openDestination(repositoryLocation(options));
  try {
    let password: string;
    const given =
      options.passwordFile !== undefined ||
      options.passwordCommand !== undefined ||
      ["EWSVAULT_PASSWORD", "EWSVAULT_PASSWORD_FILE", "EWSVAULT_PASSWORD_COMMAND"].some((name) =>
        Boolean(process.env[name]),
      );
    if (!given && process.stdin.isTTY) {
      password = await promptHidden("new repository password: ");
      if ((await promptHidden("repeat password: ")) !== password) {
        throw new CliError("PASSWORD_MISMATCH", "the passwords differ", ExitCode.usage);
      }
    } else {
      password = await readPassword({
        envName: "EWSVAULT_PASSWORD",
        ...(options.passwordFile === undefined ? {} : { file: options.passwordFile }),
        ...(options.passwordCommand === undefined ? {} : { command: options.passwordCommand }),
        prompt: "new repository password: ",
      });
    }
    const packSize = Math.round(Number(options.packSize) * 1024 * 1024);
    const repository = await initRepository({ destination, password, packSize });
    out.event(
      "initialized",
      { id: repository.config.id, location: destination.description },
      () => `created repository ${repository.config.id} at ${destination.description}`,
    );
    out.info(
      "keep the password safe: without it (or an escrow key / recovery code, see 'ewsvault key') the data cannot be read",
    );
    await repository.close();
    return ExitCode.ok;
  } finally {
    await destination.close();
  }
}
