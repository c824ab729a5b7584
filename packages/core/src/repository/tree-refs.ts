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
