// The write pool's fast path for finding cut points: gear-cut.wat compiled to WebAssembly
// (embedded in gear-cut-wasm.ts). Same arithmetic as findCut, so the same cuts (tested on random
// and mail data across parameter sets); findCut stays the reference and the inline path.

import type { CutPlan } from "./index.js";

export { GEAR_CUT_WASM_BASE64 } from "./gear-cut-wasm.js";

// The global exists in every Node; the project's type libraries (ES2022 + @types/node) do not
// declare it, so this file declares the little it uses.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: object };
};

/** Cut ends (exclusive) of every chunk of `data`, in order: [] for empty data. */
export type Cutter = (data: Uint8Array) => number[];

/**
 * Instantiates the module for one plan. Self-contained (no free variables, globals only) so the
 * write pool's workers embed it via Function.prototype.toString, like findCut. Memory grows to
 * the largest input seen and is reused; one cutter MUST NOT be used by two threads.
 */
export function makeWasmCutter(wasmBase64: string, plan: CutPlan): Cutter {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(wasmBase64, "base64")), {});
  const exports = instance.exports as unknown as {
    memory: WasmMemory;
    findCut(start: number, end: number, min: number, avg: number, max: number, s: number, l: number): number;
  };
  const memory = exports.memory;
  // The gear words as little-endian i32 at 0..1023 (WebAssembly is little-endian on every host).
  const gearView = new DataView(memory.buffer);
  for (let i = 0; i < 256; i++) gearView.setInt32(i * 4, plan.gear[i] as number, true);
  return (data) => {
    const need = 1024 + data.length;
    if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
    new Uint8Array(memory.buffer, 1024, data.length).set(data);
    const cuts: number[] = [];
    let start = 0;
    while (start < data.length) {
      start = exports.findCut(
        start,
        data.length,
        plan.minSize,
        plan.avgSize,
        plan.maxSize,
        plan.maskS,
        plan.maskL,
      );
      cuts.push(start);
    }
    return cuts;
  };
}
