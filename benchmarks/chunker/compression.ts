// Prints a Markdown table of the blob codecs (brotli quality 1, zstd levels) on chunker chunks
// of the mock-ews and synthetic mail corpora: stored/raw size, compress and decompress CPU ms
// per MiB.
//
//   npx tsx --conditions=source benchmarks/chunker/compression.ts [--quick] [--rounds N]
//
// The measuring code lives beside the core tests (it uses core internals); this is its command line.

import { measureCompression } from "../../packages/repository/test/primitives/measure-compression.js";

const args = process.argv.slice(2);
const roundsAt = args.indexOf("--rounds");
measureCompression({
  quick: args.includes("--quick"),
  ...(roundsAt >= 0 ? { rounds: Number(args[roundsAt + 1]) } : {}),
  onLine: (line) => console.log(line),
});
