// The server side of the mock: HTTP(S) listener, SOAP framing, authentication, impersonation,
// throttling and fault injection, XML rendering of items and folders, and the options with their
// defaults. Operations live in ../operations, mailbox state in ../store.

export type { AuthFailureReason } from "./auth/connection-auth.js";
export type { MockAuthCounters } from "./auth/index.js";
export { type ServerCore, startServerCore } from "./http.js";
export {
  type AuthScheme,
  authSchemes,
  DEFAULTS,
  FAULT_KINDS,
  type FaultKind,
  type FaultRule,
  type MockEwsServerOptions,
  type MockEwsUser,
  type ThrottlingOptions,
} from "./options.js";
export type { MockEwsCounters } from "./request-counters.js";
