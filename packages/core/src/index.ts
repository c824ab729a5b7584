// @ewsvault/core — the engine. Public surface only; subfolders are internal. It re-exports the
// port (@ewsvault/mailbox) and the repository (@ewsvault/repository) it is built on, so one
// import serves an embedding product.

export type * from "@ewsvault/mailbox";
export { ByteBudget, EwsVaultError, isEwsVaultError } from "@ewsvault/mailbox";
export * from "@ewsvault/repository";
export * from "./engine/index.js";
export * from "./engine/settings/principal-map-file.js";
export * from "./mailbox-index/index.js";
