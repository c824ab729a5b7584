// Options of the mock server (the in-process API and the bin share them) and their defaults.
import { MockEwsError } from "../errors.js";
import type { MailboxGenerator } from "../model.js";
import { AUTH_SCHEMES, type AuthScheme } from "./auth/index.js";

export type { AuthScheme } from "./auth/index.js";

/** A configured account. Basic auth checks username/password; Bearer auth checks token. */
export interface MockEwsUser {
  readonly username: string;
  readonly password: string;
  /** Accepted as `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** The user's own mailbox (requests without impersonation act on it). */
  readonly smtpAddress?: string;
  /** Mailboxes this user may impersonate (ApplicationImpersonation): SMTP addresses, or "*" for all. */
  readonly impersonate?: readonly string[] | "*";
}

/**
 * Exchange-like throttling, answered the way Exchange names the cause. Concurrency: at most
 * `maxConcurrency` requests of one user in flight; one more is refused at once with
 * ErrorExceededConnectionCount (MessageXml: Policy MaxConcurrency, MaxConcurrencyLimit; no
 * BackOffMilliseconds) and takes nothing from the budget. Budget: a token bucket per user counted
 * in requests — it holds at most `burst` tokens, refills `rechargePerSecond` tokens per second,
 * and every request takes one; an empty bucket answers ErrorServerBusy with BackOffMilliseconds =
 * the time until one token is back. `counters().throttledBy` counts both kinds.
 */
export interface ThrottlingOptions {
  /** EWSMaxConcurrency; default 27. */
  readonly maxConcurrency?: number;
  /** Bucket size in requests; default Infinity (no budget). */
  readonly burst?: number;
  /** Tokens per second; default 10. */
  readonly rechargePerSecond?: number;
  /**
   * The wire form of a refusal. "soapFault" (default): HTTP 500 with a SOAP fault of the refusal's
   * code (ErrorServerBusy with BackOffMilliseconds, or ErrorExceededConnectionCount) and
   * `<t:MessageXml>` in the fault detail, as Exchange 2013 and later answer. "responseMessage": the
   * operation's response with one ResponseClass="Error" message per requested entry and
   * `<m:MessageXml>` (Exchange 2010). "http503": HTTP 503 with Retry-After, which does not tell the
   * kinds apart (IIS queueing in front of Exchange).
   */
  readonly refusal?: "soapFault" | "responseMessage" | "http503";
  /** Legacy switch: true is `refusal: "http503"`. */
  readonly http503?: boolean;
  /** Legacy switch: true is `refusal: "soapFault"` (the default), false is `refusal: "responseMessage"`. */
  readonly soapFault?: boolean;
}

export type FaultKind =
  | "reset"
  | "http500"
  | "truncate"
  | "slow"
  | "mailboxMove"
  | "accessDenied"
  | "invalidOperation"
  | "itemNotFound"
  | "corruptData";

/**
 * One fault rule. `rate` (0..1) draws from a PRNG seeded with `faultSeed`; `nth` lists 1-based
 * positions in the sequence the rule counts: requests of `operation` (any operation when
 * omitted) for request-level kinds, items served by GetItem/ExportItems for itemNotFound and
 * corruptData.
 */
export interface FaultRule {
  readonly kind: FaultKind;
  readonly operation?: string;
  readonly rate?: number;
  readonly nth?: readonly number[];
}

export interface MockEwsServerOptions {
  /** Generator seed; default 1. */
  readonly seed?: number;
  /** Number of generated mailboxes; default 3. */
  readonly mailboxes?: number;
  /** Items per generated mailbox; default 50. */
  readonly itemsPerMailbox?: number;
  /** SMTP domain of generated mailboxes; default the generator's ("contoso.test"). */
  readonly domain?: string;
  /** Items in the shared public folders; default the generator's. */
  readonly publicFolderItems?: number;
  /**
   * Seed every mailbox's Inbox and Calendar with folder-associated items (rules, named views,
   * roaming configuration, as Outlook leaves them); default true, as every Exchange mailbox has
   * them. They show only where Exchange shows FAI: FindItem Traversal="Associated" and
   * SyncFolderItems NormalAndAssociatedItems.
   */
  readonly associatedItems?: boolean;
  /** Use this generator instead of building one from the options above. */
  readonly generator?: MailboxGenerator;
  /** TCP port; default 0 (any free port). */
  readonly port?: number;
  /** Default "127.0.0.1". */
  readonly host?: string;
  /** Serve HTTPS: true for a self-signed certificate made at start (node:crypto), or a key/cert pair. */
  readonly tls?: boolean | { readonly key: string | Buffer; readonly cert: string | Buffer };
  /**
   * Authentication schemes offered, in the order of the 401's WWW-Authenticate headers: "basic",
   * "ntlm", "negotiate" (NTLM in SPNEGO, or raw NTLM), "bearer" (users with a `token`). NTLM and
   * Negotiate authenticate the TCP connection (IIS-style); only NTLMv2 is accepted. Default
   * ["basic", "bearer"] in-process (the bin's `--auth` defaults to basic).
   */
  readonly auth?: readonly AuthScheme[];
  /**
   * Extended Protection set to Require: an NTLM/Negotiate client must send the channel binding
   * (RFC 5929 tls-server-end-point) of this server's certificate. Needs `tls`; MUST throw
   * MockEwsError INVALID_OPTIONS without it.
   */
  readonly extendedProtection?: boolean;
  /** Accounts; default one "ewsadmin@<domain>" with a random password and the right to impersonate everyone. */
  readonly users?: readonly MockEwsUser[];
  /** Added before every response; default 0. */
  readonly latencyMs?: number;
  /** Per-connection response bandwidth in bytes/s; default 0 (unlimited). */
  readonly bandwidthBytesPerSecond?: number;
  /** Largest accepted request body; default 64 MiB (larger: HTTP 413 with an ErrorMessageSizeExceeded fault). */
  readonly maxRequestBytes?: number;
  /** ExportItems response size limit; default 64 MiB (items past it get ErrorMessageSizeExceeded). */
  readonly maxResponseBytes?: number;
  /**
   * Memory for ExportItems' encoded item streams kept between requests (base64 text, least
   * recently used dropped first, an item's entry dropped when it changes); default 64 MiB, 0 off.
   * Responses are the same bytes either way.
   */
  readonly exportCacheBytes?: number;
  /**
   * Memory for SyncFolderItems' rendered items kept between requests (an item's XML under one
   * view, served again while the item and its folder are unchanged; renderings over 4 Ki
   * characters are not kept); default 0 (off: held strings raise the mock's peak memory by more
   * than their size), the benchmarks give it 64 MiB. Responses are the same bytes either way.
   */
  readonly renderCacheBytes?: number;
  readonly throttling?: ThrottlingOptions;
  readonly faults?: readonly FaultRule[];
  /** Seed of the fault PRNG; default the generator seed. */
  readonly faultSeed?: number;
  /** Delay of the "slow" fault; default 2000 ms. */
  readonly slowResponseMs?: number;
}

export const DEFAULTS = {
  seed: 1,
  mailboxes: 3,
  itemsPerMailbox: 50,
  port: 0,
  host: "127.0.0.1",
  latencyMs: 0,
  bandwidthBytesPerSecond: 0,
  maxRequestBytes: 64 * 1024 * 1024,
  maxResponseBytes: 64 * 1024 * 1024,
  exportCacheBytes: 64 * 1024 * 1024,
  renderCacheBytes: 0,
  maxConcurrency: 27,
  burst: Number.POSITIVE_INFINITY,
  rechargePerSecond: 10,
  slowResponseMs: 2000,
} as const;

export const FAULT_KINDS: readonly FaultKind[] = [
  "reset",
  "http500",
  "truncate",
  "slow",
  "mailboxMove",
  "accessDenied",
  "invalidOperation",
  "itemNotFound",
  "corruptData",
];

/** The validated scheme list; MUST throw MockEwsError INVALID_OPTIONS for an unknown or empty one. */
export function authSchemes(schemes: readonly string[] | undefined): AuthScheme[] {
  const list = schemes ?? ["basic", "bearer"];
  const unknown = list.filter((s) => !AUTH_SCHEMES.includes(s as AuthScheme));
  if (list.length === 0 || unknown.length > 0) {
    throw new MockEwsError(
      "INVALID_OPTIONS",
      `auth: ${unknown.length > 0 ? `unknown scheme ${unknown.join(", ")}` : "no scheme"} (use ${AUTH_SCHEMES.join(", ")})`,
    );
  }
  return [...new Set(list as AuthScheme[])];
}
