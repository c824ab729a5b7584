// The server's request counters (counters() / resetCounters() of the in-process API): requests
// per operation, throttling refusals by cause, injected faults and rejected requests. The auth
// counters live with the authenticator (auth/) and are merged in by the snapshot.
import type { MockAuthCounters } from "./auth/index.js";
import type { FaultKind } from "./options.js";

export interface MockEwsCounters {
  /** Requests per EWS operation (every request that reached dispatch, throttled and faulted included). */
  readonly requests: Readonly<Record<string, number>>;
  readonly totalRequests: number;
  /** Throttled requests of every kind. */
  readonly throttled: number;
  /**
   * Throttled requests by cause: `concurrency` (EWSMaxConcurrency exceeded:
   * ErrorExceededConnectionCount) and `budget` (the request budget was empty: ErrorServerBusy with
   * BackOffMilliseconds).
   */
  readonly throttledBy: { readonly concurrency: number; readonly budget: number };
  readonly faulted: Readonly<Partial<Record<FaultKind, number>>>;
  /** Requests rejected before dispatch: bad credentials (401), too large (413), not SOAP (fault). */
  readonly rejected: number;
  /** Connections, NTLM/Negotiate handshakes and refused credentials by reason. */
  readonly auth: MockAuthCounters;
}

export class RequestCounters {
  requests: Record<string, number> = {};
  totalRequests = 0;
  throttled = 0;
  throttledBy = { concurrency: 0, budget: 0 };
  rejected = 0;
  faulted: Partial<Record<FaultKind, number>> = {};

  /** Counts a request that reached dispatch. */
  request(operation: string): void {
    this.requests[operation] = (this.requests[operation] ?? 0) + 1;
    this.totalRequests++;
  }

  fault(kind: FaultKind): void {
    this.faulted[kind] = (this.faulted[kind] ?? 0) + 1;
  }

  throttle(kind: "concurrency" | "budget"): void {
    this.throttled++;
    this.throttledBy[kind]++;
  }

  /** A copy, so a caller's snapshot does not move with later requests. */
  snapshot(auth: MockAuthCounters): MockEwsCounters {
    return {
      requests: { ...this.requests },
      totalRequests: this.totalRequests,
      throttled: this.throttled,
      throttledBy: { ...this.throttledBy },
      faulted: { ...this.faulted },
      rejected: this.rejected,
      auth,
    };
  }

  reset(): void {
    this.requests = {};
    this.totalRequests = 0;
    this.throttled = 0;
    this.throttledBy = { concurrency: 0, budget: 0 };
    this.rejected = 0;
    this.faulted = {};
  }
}
