// @ewsvault/core — the engine. Public surface only; subfolders are internal.
export * from "./engine/index.js";
export { ByteBudget, EwsVaultError, isEwsVaultError } from "@ewsvault/mailbox";
export * from "./mailbox-index/index.js";
export type * from "@ewsvault/mailbox";
export * from "./repository/index.js";
