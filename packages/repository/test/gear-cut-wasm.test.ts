// The WebAssembly cut finder must cut exactly where the TypeScript reference (findCut) cuts, and
// the embedded module must be what gear-cut.wat compiles to.
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import createWabt from "wabt";
import { createChunker } from "../src/chunker/index.js";
import { GEAR_CUT_WASM_BASE64, makeWasmCutter } from "../src/chunker/wasm-cutter.js";
import { mailText, seededBytes } from "./helpers.js";

function referenceCuts(chunker: ReturnType<typeof createChunker>, data: Uint8Array): number[] {
  const cuts: number[] = [];
  let at = 0;
  for (const chunk of chunker.split(data)) {
    at += chunk.length;
    cuts.push(at);
  }
  return cuts;
}

describe("gear cut in WebAssembly", () => {
  it("is the module gear-cut.wat compiles to", async () => {
    const source = readFileSync(new URL("../src/chunker/gear-cut.wat", import.meta.url), "utf8");
    const wabt = await createWabt();
    const module = wabt.parseWat("gear-cut.wat", source);
    const { buffer } = module.toBinary({});
    module.destroy();
    expect(Buffer.from(buffer).toString("base64")).toBe(GEAR_CUT_WASM_BASE64);
  });

  it("cuts where findCut cuts, for every parameter set, key and input shape", () => {
    const paramSets = [
      { minSize: 8 * 1024, avgSize: 32 * 1024, maxSize: 128 * 1024 }, // the default
      { minSize: 64, avgSize: 128, maxSize: 256 }, // the smallest allowed
      { minSize: 1024, avgSize: 4096, maxSize: 16384 },
      { minSize: 16 * 1024, avgSize: 64 * 1024, maxSize: 256 * 1024 },
    ];
    const inputs = [
      new Uint8Array(0),
      seededBytes(1, 1),
      seededBytes(2, 8 * 1024), // exactly minSize of the default
      seededBytes(3, 8 * 1024 + 1),
      seededBytes(4, 2_000_000),
      mailText(5, 1_500_000),
      new Uint8Array(700_000), // zeros: every cut forced at maxSize
      new Uint8Array(300_000).fill(0xff),
    ];
    let compared = 0;
    for (const params of paramSets) {
      for (const key of [undefined, randomBytes(32)]) {
        const chunker = createChunker(params, key);
        const cutter = makeWasmCutter(GEAR_CUT_WASM_BASE64, chunker.plan);
        for (const input of inputs) {
          const expected = referenceCuts(chunker, input);
          expect(cutter(input)).toEqual(expected);
          compared += expected.length;
        }
        // Reused memory: a shorter input after a longer one must not see stale bytes.
        expect(cutter(inputs[3]!)).toEqual(referenceCuts(chunker, inputs[3]!));
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });

  it("pins the cut points of a fixed input (the format depends on them)", () => {
    const chunker = createChunker(undefined, new Uint8Array(32).fill(7));
    const cutter = makeWasmCutter(GEAR_CUT_WASM_BASE64, chunker.plan);
    const cuts = cutter(mailText(42, 1_000_000));
    expect(cuts).toEqual(referenceCuts(chunker, mailText(42, 1_000_000)));
    expect(cuts).toHaveLength(26);
    expect(createHash("sha256").update(JSON.stringify(cuts)).digest("hex")).toBe(
      "ac796af0b96bcf96e31be5aca12adafd0a785d560a8585f0143baa97b4259da0",
    );
  });
});
