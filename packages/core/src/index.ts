// @ewsvault/core — the engine. Public surface only; subfolders are internal.
export { EwsVaultError, isEwsVaultError } from "./errors.js";
export type * from "./mailbox/index.js";
export * from "./repository/index.js";
