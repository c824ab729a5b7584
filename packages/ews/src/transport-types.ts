// The contract types of the transport: what a caller passes with a request (CallContext), what
// it gets back (CallResult), and what the transport reports (ResponseInfo, TransportStats, the
// logger it writes to). A file of their own so that the transport's parts can share them
// without importing one another in a circle.
import type { SoapResponse } from "./soap.js";

export interface EwsLogger {
  debug?(message: string, fields?: Record<string, unknown>): void;
  info?(message: string, fields?: Record<string, unknown>): void;
  warn?(message: string, fields?: Record<string, unknown>): void;
  error?(message: string, fields?: Record<string, unknown>): void;
}

/** What the transport saw of one HTTP exchange (for metrics and tests; never bodies or secrets). */
export interface ResponseInfo {
  readonly operation: string;
  readonly mailbox?: string;
  readonly attempt: number;
  readonly status: number;
  /** Bytes of the HTTP response body. */
  readonly bytes: number;
  /** Items the request asked for (ExportItems, UploadItems), when it is a batch. */
  readonly items?: number;
  readonly durationMs: number;
}

export interface CallContext {
  /** Mailbox the request is about (X-AnchorMailbox, impersonation). */
  readonly mailbox?: string;
  readonly impersonate: boolean;
  readonly signal?: AbortSignal;
  /** Cut these base64 elements out of the raw response before parsing (ExportItems Data, MimeContent). */
  readonly payloadElement?: string;
  /** Batch size, reported through onResponse. */
  readonly items?: number;
}

export interface CallResult {
  readonly soap: SoapResponse & { readonly body: NonNullable<SoapResponse["body"]> };
  /** The decoded payloads cut out of the response; an element's `payload` attribute indexes them. */
  readonly payloads: Uint8Array[];
  /** Size of the raw HTTP response body in bytes. */
  readonly responseBytes: number;
}

export interface TransportStats {
  readonly requests: number;
  readonly attempts: number;
  readonly retries: number;
  readonly throttled: number;
  /** Largest HTTP response body seen, in bytes. */
  readonly largestResponseBytes: number;
  /** Sockets opened (NTLM/Negotiate only: the connection-bound pool counts them). */
  readonly connections?: number;
  /** NTLM/Negotiate handshakes run. */
  readonly handshakes?: number;
  /** NTLM/Negotiate: most requests in flight at once on the connection pool. */
  readonly peakInFlight?: number;
  /** NTLM/Negotiate: whether the last handshake sent a TLS channel binding (Extended Protection). */
  readonly channelBinding?: boolean;
}
