// @ewsvault/ews — an Exchange Web Services client implementing @ewsvault/mailbox's
// MailboxSource and MailboxTarget: SOAP over keep-alive undici, safe XML parsing, batched
// ExportItems/UploadItems under a byte cap, retries that honour the server's backoff hints,
// an adaptive per-endpoint concurrency gate and an in-flight byte budget (both exported so
// the engine can observe or share them), and Autodiscover for the CLI's check command.

export type { ByteBudgetSnapshot } from "@ewsvault/mailbox";
export { offeredSchemes } from "./attempt-outcome.js";
export {
  type ClientCredentialsOptions,
  type ClientCredentialsTokenSupplier,
  type ConnectionAuth,
  createClientCredentialsTokenSupplier,
  type EwsAuth,
} from "./auth.js";
export { type AuthProbeOptions, type AuthProbeResult, probeAuthSchemes } from "./auth-probe.js";
export {
  type AutodiscoverAnswer,
  parseAutodiscoverResponse,
  parseSoapAutodiscoverResponse,
  type ResolveEwsUrlOptions,
  resolveEwsUrl,
} from "./autodiscover.js";
export { ByteBudget } from "./byte-budget.js";
export { createEwsClient, type EwsClient, type EwsClientOptions, type EwsClientStats } from "./client.js";
export {
  AdaptiveConcurrencyGate,
  type ConcurrencyGateOptions,
  type ConcurrencyGateSnapshot,
  type GateOutcome,
  type GateTicket,
  type ThrottleKind,
  type ThrottleSignal,
} from "./concurrency-gate.js";
export type { ConnectionAuthStats } from "./connection-auth.js";
export {
  type DiscoveredMailbox,
  type DiscoveryOptions,
  type DiscoveryResult,
  discoverMailboxes,
  type MailboxKind,
  RESOLVE_NAMES_LIMIT,
} from "./discovery.js";
export { EWS_ERROR_CODES, type EwsErrorCode, errorCodeForResponseCode, itemErrorFor } from "./errors.js";
export { estimatedExportBytes, MAX_ITEMS_PER_BATCH, planExportBatches } from "./export-batching.js";
export type { ConcurrencyGate, RequestPacing, RequestPacingSnapshot } from "./gate-contract.js";
export { RequestPacer, type RequestPacerOptions, type RequestPacerSnapshot } from "./request-pacer.js";
export { DEFAULT_MAX_RESPONSE_BYTES } from "./response-body.js";
export { type RetryOptions, resolveRetryOptions, retryDelay } from "./retry.js";
export type { EwsLogger, ResponseInfo } from "./transport-types.js";
