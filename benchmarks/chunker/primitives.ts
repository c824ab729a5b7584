// Prints a Markdown report of the repository primitives measured on this machine (chunker
// keyed/unkeyed MiB/s, dedupe of candidate chunker parameters on mail-like data, AES-256-GCM
// node vs noble, keyed ids, compression).
//
//   npx tsx --conditions=source benchmarks/chunker/primitives.ts [--quick] [--items N]
//
// The measuring code lives beside the core tests because it uses core internals that are not
// public exports; this script is only its command line.

import { measurePrimitives } from "../../packages/repository/test/primitives/measure-primitives.js";

const args = process.argv.slice(2);
const itemsAt = args.indexOf("--items");
measurePrimitives({
  quick: args.includes("--quick"),
  ...(itemsAt >= 0 ? { items: Number(args[itemsAt + 1]) } : {}),
  onLine: (line) => console.log(line),
});
