// Commands that work on the repository alone, registered in the order `ewsvault --help` lists
// them: init, snapshots, ls, find, verify, forget, prune, unlock, repair-index, stats. Each
// group lives in a file of its own.
import type { Command } from "commander";
import { registerForgetPruneCommands } from "./forget-prune-commands.js";
import { registerInitCommand } from "./init-command.js";
import { registerMaintenanceCommands } from "./maintenance-commands.js";
import type { CommandRunner } from "./shared.js";
import { registerSnapshotCommands } from "./snapshot-commands.js";
import { registerVerifyCommand } from "./verify-command.js";

export function registerRepositoryCommands(program: Command, run: CommandRunner): void {
  registerInitCommand(program, run);
  registerSnapshotCommands(program, run);
  registerVerifyCommand(program, run);
  registerForgetPruneCommands(program, run);
  registerMaintenanceCommands(program, run);
}
