// @ewsvault/destination — where repository objects are stored: the Destination interface,
// its error codes, the BaseDestination every implementation extends (validation, closed state,
// abort, retries, error funnel), the withRetry() decorator and an in-memory implementation.
// Implementations live in destination-* packages; the conformance suite they all run is
// exported as "@ewsvault/destination/testing".

export type { StorageOperation } from "./base-destination.js";
export { BaseDestination } from "./base-destination.js";
export type {
  Destination,
  DestinationCapabilities,
  LoadOptions,
  ObjectInfo,
  SaveOptions,
} from "./destination.js";
export type { FailureMessage } from "./error-mapping.js";
export {
  destinationFailure,
  errorCodeOf,
  isTransientHttpStatus,
  TRANSIENT_NETWORK_CODES,
} from "./error-mapping.js";
export type { DestinationErrorCode } from "./errors.js";
export { DestinationError, DestinationErrorCodes, isDestinationError } from "./errors.js";
export type {
  MemoryDestinationFaults,
  MemoryDestinationOptions,
  MemoryDestinationStats,
  MemoryFaultRule,
  MemoryOperation,
} from "./memory-destination.js";
export {
  createMemoryDestination,
  defaultMemoryCapabilities,
  MemoryDestination,
} from "./memory-destination.js";
export { isValidObjectName, validateObjectName, validateObjectPrefix } from "./object-name.js";
export { integerOption, normalizeKeyPrefix } from "./options.js";
export type { ByteRange } from "./range.js";
export { resolveLoadRange, validateLoadOptions } from "./range.js";
export type { RetryOption, RetryPolicy } from "./retry.js";
export {
  defaultRetryPolicy,
  resolveRetryPolicy,
  retryDelayMs,
  retryTransient,
  withRetry,
} from "./retry.js";
