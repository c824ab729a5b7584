// The write path's stages one by one (`@ewsvault/repository/stages`), for tools that measure a
// single stage alone, as `pnpm bench:pipeline --stages` does. Not needed to use a repository.
export { GEAR_CUT_WASM_BASE64, makeWasmCutter } from "./chunker/wasm-cutter.js";
export { BROTLI_QUALITY, looksIncompressible, ZSTD_LEVEL } from "./compress/index.js";
