// The engine's view of an Exchange mailbox. The engine never imports EWS code: @ewsvault/ews
// implements these interfaces over SOAP, tests may implement them in memory. Split by concern
// under ./port/; this file gathers them for the package index.
export type * from "./port/folders.js";
export type * from "./port/items.js";
export type * from "./port/settings.js";
export type * from "./port/source.js";
export type * from "./port/target.js";
