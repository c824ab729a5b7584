// @ewsvault/ews — an Exchange Web Services client implementing @ewsvault/mailbox's
// MailboxSource and MailboxTarget: SOAP over keep-alive undici, safe XML parsing, batched
// ExportItems/UploadItems under a byte cap, retries that honour the server's backoff hints,
// an adaptive per-endpoint concurrency gate and an in-flight byte budget (both exported so
// the engine can observe or share them), and Autodiscover for the CLI's check command.
export {
  type ClientCredentialsOptions,
  type ClientCredentialsTokenSupplier,
  type ConnectionAuth,
  type EwsAuth,
  createClientCredentialsTokenSupplier,
} from "./auth.js";
export { type AuthProbeOptions, type AuthProbeResult, probeAuthSchemes } from "./auth-probe.js";
export type { ConnectionAuthStats } from "./connection-auth.js";
export {
  type AutodiscoverAnswer,
  parseAutodiscoverResponse,
  parseSoapAutodiscoverResponse,
  resolveEwsUrl,
  type ResolveEwsUrlOptions,
} from "./autodiscover.js";
export type { ByteBudgetSnapshot } from "@ewsvault/mailbox";
export { ByteBudget } from "./byte-budget.js";
export { type EwsClient, type EwsClientOptions, type EwsClientStats, createEwsClient } from "./client.js";
export { estimatedExportBytes, MAX_ITEMS_PER_BATCH, planExportBatches } from "./export-batching.js";
export {
  AdaptiveConcurrencyGate,
  type ConcurrencyGateOptions,
  type ConcurrencyGateSnapshot,
  type GateOutcome,
  type GateTicket,
  type ThrottleKind,
  type ThrottleSignal,
} from "./concurrency-gate.js";
export { RequestPacer, type RequestPacerOptions, type RequestPacerSnapshot } from "./request-pacer.js";
export { EWS_ERROR_CODES, type EwsErrorCode, errorCodeForResponseCode, itemErrorFor } from "./errors.js";
export { type RetryOptions, retryDelay, resolveRetryOptions } from "./retry.js";
export { offeredSchemes } from "./attempt-outcome.js";
export { DEFAULT_MAX_RESPONSE_BYTES } from "./response-body.js";
export type { EwsLogger, ResponseInfo } from "./transport-types.js";
export {
  type DiscoveredMailbox,
  type DiscoveryOptions,
  type DiscoveryResult,
  discoverMailboxes,
  type MailboxKind,
  RESOLVE_NAMES_LIMIT,
} from "./discovery.js";
