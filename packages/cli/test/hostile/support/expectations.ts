// Assertions every hostile case makes besides its coded outcome: memory stayed bounded and
// nothing was written outside the repository and the cache folder.
import { expect } from "vitest";
import { HEAP_BOUND, type HostileCase, type HostileRun, strayFiles } from "./harness.js";

export async function expectContained(run: HostileRun, hostile: HostileCase): Promise<void> {
  expect(run.heapGrowth, "heap growth during the run").toBeLessThan(HEAP_BOUND);
  expect(strayFiles(await hostile.files()), "files outside the repository and the cache").toEqual([]);
}

/** The single mailbox report of a one-mailbox run. */
export function onlyMailbox(run: HostileRun) {
  expect(run.mailboxes, run.stderr).toHaveLength(1);
  return run.mailboxes[0]!;
}
