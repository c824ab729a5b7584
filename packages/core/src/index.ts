// @ewsvault/core — the engine. Public surface only; subfolders are internal.
export * from "./engine/index.js";
export { EwsVaultError, isEwsVaultError } from "./errors.js";
export * from "./index/index.js";
export type * from "./mailbox/index.js";
export * from "./repository/index.js";
export * from "./scheduler/index.js";
