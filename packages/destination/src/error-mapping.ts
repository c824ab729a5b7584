// Pieces every destination's error mapping is built from, so the network destinations agree
// on which socket failures are worth a retry and all of them write one-line messages of one
// shape. Each destination still decides what its SDK's own codes mean.

import { DestinationError, type DestinationErrorCode } from "./errors.js";

/**
 * Node socket and DNS failure codes that mean "the network is unwell, the same call may work
 * later". Destinations add the spellings of their own client libraries to this set.
 */
export const TRANSIENT_NETWORK_CODES: ReadonlySet<string> = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
]);

/** The string `code` property of an error (a Node errno such as "ENOSPC", an SDK code), if any. */
export function errorCodeOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/** True for HTTP statuses that mean "ask again later": 408, 429 and every 5xx. */
export function isTransientHttpStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** What a one-line failure message says; see destinationFailure(). */
export interface FailureMessage {
  /** The destination kind as users know it: "sftp", "azure blob", ... */
  readonly backend: string;
  /** What was being done: "save", "load", "connect to", ... */
  readonly operation: string;
  /** The object name, prefix or host the operation was on; "" for none. Quoted in the message. */
  readonly subject: string;
  /** Plain words for the code: "permission denied". */
  readonly reason: string;
  /** Service or socket codes and statuses, in parentheses after the reason; "" for none. */
  readonly detail?: string;
}

/**
 * A DestinationError whose message is `<backend> <operation> "<subject>": <reason> (<detail>)`
 * on one line (line breaks in any part are flattened, so log lines stay whole). Callers build
 * the parts from codes and statuses only, never from server text that can echo secrets.
 */
export function destinationFailure(
  code: DestinationErrorCode,
  message: FailureMessage,
  cause: unknown,
): DestinationError {
  const subject = message.subject === "" ? "" : ` ${JSON.stringify(message.subject)}`;
  const detail = message.detail === undefined || message.detail === "" ? "" : ` (${message.detail})`;
  const text = `${message.backend} ${message.operation}${subject}: ${message.reason}${detail}`;
  return new DestinationError(code, text.replace(/[\r\n]+/g, " "), { cause });
}
