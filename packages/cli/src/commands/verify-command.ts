// `ewsvault verify`: the repository's own structure check (optionally reading every pack or a
// subset), plus each snapshot item's binding to its content; exit code 4 on any damage.
import { verifySnapshotItemBindings } from "@ewsvault/core";
import type { Command } from "commander";
import { openRepositoryFromOptions, type RepoOptions } from "../context.js";
import { ExitCode } from "../errors.js";
import { formatBytes, type Output, shown } from "../output.js";
import { addRepoOptions, type CommandRunner } from "./shared.js";

export function registerVerifyCommand(program: Command, run: CommandRunner): void {
  addRepoOptions(
    program.command("verify").description("check the repository's structure, optionally its data"),
  )
    .option("--read-data", "download and check every pack")
    .option("--read-data-subset <subset>", "check a subset: '10%', '0.1' or 'n/t'")
    .action((options) => run(options, (out) => verifyCommand(options, out)));
}

async function verifyCommand(
  options: RepoOptions & { readData?: boolean; readDataSubset?: string },
  out: Output,
) {
  const opened = await openRepositoryFromOptions(options);
  try {
    const readData = options.readDataSubset ?? (options.readData ? true : undefined);
    const report = await opened.repository.verify(readData === undefined ? {} : { readData });
    for (const problem of report.problems) {
      out.event(
        "problem",
        { ...problem },
        () => `damage ${problem.code}: ${problem.message}${problem.object ? ` (${problem.object})` : ""}`,
      );
    }
    // The repository checks its objects; whether each item of a snapshot holds its own content
    // (not another item's blob list, swapped through a tampered cache) is the engine's item
    // binding, checked here from the trees alone. With --read-data, every blob also matched its id.
    const items = await checkItemBindings(opened.repository, out);
    const ok = report.ok && items.problems === 0;
    // Everything --json says is said in text too: unindexed packs are not damage, but an
    // administrator must see them (leftovers of killed backups, or objects someone put there).
    const unindexed = report.unindexedPacks.length;
    out.event(
      "verified",
      {
        ok,
        checked: { ...report.checked, items: items.items, itemsBound: items.bound },
        unindexedPacks: unindexed,
      },
      () =>
        `${
          ok
            ? `no errors: ${report.checked.packs} packs, ${report.checked.snapshots} snapshots, ${items.items} items (${items.bound} bound to their content), ${report.checked.packsRead} packs read (${formatBytes(report.checked.bytesRead)})`
            : `${report.problems.length + items.problems} problem(s) found`
        }${unindexed > 0 ? `; ${unindexed} pack(s) no index lists (left by interrupted backups; prune removes them)` : ""}`,
    );
    return ok ? ExitCode.ok : ExitCode.damaged;
  } finally {
    await opened.close();
  }
}

/** Checks every snapshot's item bindings (core's check); reports each problem as a `problem` event. */
async function checkItemBindings(
  repository: Parameters<typeof verifySnapshotItemBindings>[0] & {
    listSnapshots(): Promise<readonly { id: string; tree: string }[]>;
  },
  out: Output,
): Promise<{ items: number; bound: number; problems: number }> {
  return verifySnapshotItemBindings(repository, await repository.listSnapshots(), {
    onProblem: ({ snapshotId, code, message, folderId, itemId }) => {
      if (folderId === undefined || itemId === undefined) {
        // A tree that cannot be read is damage verify has reported by its object; say which
        // snapshot it stops (the check goes on with the others).
        out.event(
          "problem",
          { code, message, snapshot: snapshotId },
          () =>
            `damage ${code}: snapshot ${snapshotId.slice(0, 12)}'s items cannot be checked: ${shown(message)}`,
        );
        return;
      }
      out.event(
        "problem",
        { code, folderId, itemId, message, snapshot: snapshotId },
        () =>
          `damage ${code}: ${shown(message)} (snapshot ${snapshotId.slice(0, 12)}, folder ${shown(folderId)}, item ${shown(itemId)})`,
      );
    },
  });
}
