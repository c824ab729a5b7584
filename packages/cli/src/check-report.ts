// What `ewsvault check` concludes beyond "the mailbox answered": whether the account may
// impersonate (or, with --no-impersonation, is a delegate), and throttling hints from what
// the requests of the check itself met (latency, throttled answers, the server's back-off
// hints, the concurrency the adaptive gate settled on). Pure functions of what was observed.
import type { ConcurrencyGateSnapshot, EwsClientStats } from "@ewsvault/ews";

export interface CheckLine {
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly code?: string;
}

/** Access line of one mailbox, from the error code of its first request (undefined = success). */
export function accessLine(
  mailbox: string,
  impersonation: boolean,
  code: string | undefined,
): CheckLine | undefined {
  const check = `${impersonation ? "impersonation" : "delegate access"} ${mailbox}`;
  if (code === undefined)
    return {
      check,
      ok: true,
      detail: impersonation
        ? "the account may impersonate this mailbox (ApplicationImpersonation)"
        : "the account opens this mailbox as a delegate (FullAccess)",
    };
  if (code === "EWS_IMPERSONATION_DENIED")
    return {
      check,
      ok: false,
      code,
      detail:
        "denied: assign the ApplicationImpersonation role (New-ManagementRoleAssignment -Role ApplicationImpersonation -User <account>), or use --no-impersonation with FullAccess",
    };
  if (code === "EWS_ACCESS_DENIED")
    return {
      check,
      ok: false,
      code,
      detail: impersonation
        ? "access denied to the mailbox's folders"
        : "denied: grant FullAccess (Add-MailboxPermission -AccessRights FullAccess) or use impersonation",
    };
  return undefined;
}

/** Median of the observed request durations, for the latency hint. */
function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Throttling hints: always one line saying what was seen, plus advice when the server pushed
 * back or answered slowly. `durationsMs` are the check's own request times.
 */
export function throttlingLines(
  stats: EwsClientStats,
  gate: ConcurrencyGateSnapshot,
  durationsMs: readonly number[],
): CheckLine[] {
  const ms = median(durationsMs);
  const seen = `${stats.requests} request(s), median ${ms} ms, ${stats.throttled} throttled answer(s) (${gate.throttledBy.budget} budget, ${gate.throttledBy.concurrency} concurrency), ${stats.retries} retried`;
  const lines: CheckLine[] = [{ check: "throttling", ok: true, detail: seen }];
  if (gate.throttledBy.concurrency > 0)
    lines.push({
      check: "throttling hint",
      ok: true,
      detail: `the server refused concurrent requests (EWSMaxConcurrency): keep --mailbox-concurrency x --item-concurrency at or below ${Math.max(1, Math.floor(gate.ceiling))}, or raise EWSMaxConcurrency in the throttling policy`,
    });
  if (gate.throttledBy.budget > 0 || gate.holdOffMs > 0)
    lines.push({
      check: "throttling hint",
      ok: true,
      detail:
        "the account's EWS budget ran out (ErrorServerBusy with BackOffMilliseconds): a dedicated throttling policy for the backup account (EwsMaxBurst/EwsRechargeRate/EwsCutoffBalance Unlimited) avoids long pauses",
    });
  if (ms > 2000)
    lines.push({
      check: "throttling hint",
      ok: true,
      detail: `${ms} ms per request: the server or the path to it is slow; more --item-concurrency hides latency if the throttling policy allows`,
    });
  return lines;
}
