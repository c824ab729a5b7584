// Compiles src/chunker/gear-cut.wat with wabt and writes gear-cut-wasm.ts, which
// embeds the module as base64 (worker threads get it as a string; no file to locate at run
// time). test/gear-cut-wasm.test.ts fails when the two drift apart.
//
//   node packages/repository/scripts/build-gear-cut-wasm.mjs
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import createWabt from "wabt";

const dir = fileURLToPath(new URL("../src/chunker/", import.meta.url));
const source = readFileSync(`${dir}gear-cut.wat`, "utf8");
const wabt = await createWabt();
const module = wabt.parseWat("gear-cut.wat", source);
const { buffer } = module.toBinary({});
module.destroy();
const base64 = Buffer.from(buffer).toString("base64");
writeFileSync(
  `${dir}gear-cut-wasm.ts`,
  `// Generated from gear-cut.wat by packages/repository/scripts/build-gear-cut-wasm.mjs; do not edit.
export const GEAR_CUT_WASM_BASE64 =
  "${base64}";
`,
);
console.log(`gear-cut.wasm: ${buffer.length} bytes`);
