// A reused mailbox tree (snapshot-writer.ts: nothing the items' tree shows changed) with this
// run's settings: the last root when it already names the same settings tree, else a new root
// tree equal to it but for its `settings` reference. Costs one small tree, never the folders.
import type { EngineRepository } from "../repository-port.js";
import { loadMailboxTree, type MailboxTree, type TreeBuildResult, type TreeRef } from "../snapshot-tree.js";
import type { Durability } from "./durability.js";

export async function withSettingsRef(
  repository: Pick<EngineRepository, "loadTree">,
  durability: Pick<Durability, "writer">,
  tree: TreeBuildResult,
  settings: TreeRef | undefined,
): Promise<TreeBuildResult> {
  const root = await loadMailboxTree(repository, tree.rootTreeId);
  if (root.settings?.subtree === settings?.subtree) return tree;
  const { settings: _last, ...rest } = root;
  const next: MailboxTree = { ...rest, ...(settings === undefined ? {} : { settings }) };
  const writer = await durability.writer();
  const rootTreeId = await writer.saveTree(next);
  await writer.checkpoint();
  return { ...tree, rootTreeId };
}
