// How the store finds what a tree references without knowing the engine's tree schema: by two
// reserved property names. Verify, prune and restore follow exactly these references.

import { isId } from "./format.js";

export interface TreeRefs {
  readonly trees: string[];
  readonly data: string[];
}

/**
 * Anywhere in a tree value: a property `subtree` holding a tree id references that tree; a
 * property `content` holding an array of ids references those data blobs (in order). Other
 * properties are opaque to the store.
 */
export function collectTreeRefs(value: unknown, out: TreeRefs = { trees: [], data: [] }): TreeRefs {
  if (Array.isArray(value)) {
    for (const v of value) collectTreeRefs(v, out);
  } else if (typeof value === "object" && value !== null) {
    for (const [key, v] of Object.entries(value)) {
      if (key === "subtree" && isId(v)) out.trees.push(v);
      else if (key === "content" && Array.isArray(v) && v.every(isId)) out.data.push(...(v as string[]));
      else collectTreeRefs(v, out);
    }
  }
  return out;
}

/**
 * Visits every tree reachable from `roots` once, loading up to `concurrency` trees at a time
 * (remote destinations answer ranged reads in tens of milliseconds; one at a time would make
 * verify and prune of a large mailbox take hours). `visit` gets each tree's id and value and
 * returns the ids of subtrees to follow; errors propagate unless `visit` handles them.
 */
export async function walkTrees(
  roots: Iterable<string>,
  visit: (id: string) => Promise<readonly string[]>,
  concurrency = 8,
): Promise<Set<string>> {
  const seen = new Set<string>();
  let frontier = [...new Set(roots)];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (let i = 0; i < frontier.length; i += concurrency) {
      const batch = frontier.slice(i, i + concurrency).filter((id) => !seen.has(id));
      for (const id of batch) seen.add(id);
      const children = await Promise.all(batch.map(visit));
      for (const list of children) for (const c of list) if (!seen.has(c)) next.push(c);
    }
    frontier = [...new Set(next)];
  }
  return seen;
}
