// @ewsvault/mailbox — the port between the backup engine and a mailbox source or target.
// The engine (@ewsvault/core) consumes MailboxSource / MailboxTarget; @ewsvault/ews implements
// them over SOAP, tests in memory, a future Microsoft Graph or PST source the same way. Each
// implementation is proven by the conformance suite in "@ewsvault/mailbox/testing".
//
// Besides the interfaces this package holds what both sides of the port share: the error class
// with its codes, and the flow-control primitives (one byte budget, one abort subscription).
export {
  ERROR_CODES,
  type ErrorCode,
  type ExchangeResponseCode,
  type ItemErrorCode,
  isErrorCode,
} from "./error-codes.js";
export { EwsVaultError, isEwsVaultError } from "./errors.js";
export { onAbort } from "./flow/abort-subscription.js";
export { type BatchLimits, planBatches } from "./flow/batch-planner.js";
export { type AbortErrorFactory, ByteBudget, type ByteBudgetSnapshot } from "./flow/byte-budget.js";
export type * from "./types.js";
