// Stands in for the repository writer in golden-vector tests: a tree's id is the SHA-256 of its
// canonical JSON, and every tree written is kept as that JSON for the test to compare.
import { createHash } from "node:crypto";
import { canonicalJson } from "@ewsvault/core";
import type { EngineWriter } from "../../src/engine/repository-port.js";

export function recordingWriter() {
  const trees = new Map<string, string>();
  const writer: EngineWriter = {
    saveData: () => Promise.reject(new Error("not used")),
    saveTree: async (value) => {
      const json = canonicalJson(value);
      const id = createHash("sha256").update(json).digest("hex");
      trees.set(id, json);
      return id;
    },
    checkpoint: async () => {},
    close: async () => {},
  };
  return { writer, trees, json: (id: string) => trees.get(id)! };
}
