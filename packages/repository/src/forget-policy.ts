// Retention policies, restic style: walking snapshots newest first, each keep-* rule keeps the
// newest snapshot of each of its next N calendar buckets (UTC). Applied per mailbox and snapshot group. Pure
// functions, so the policy table is tested without a repository.

import type { Snapshot } from "./snapshots.js";

export interface ForgetPolicy {
  /** Keep the newest N snapshots. */
  readonly keepLast?: number;
  readonly keepHourly?: number;
  readonly keepDaily?: number;
  readonly keepWeekly?: number;
  readonly keepMonthly?: number;
  readonly keepYearly?: number;
  /** Keep every snapshot less than this many ms older than the group's newest snapshot. */
  readonly keepWithinMs?: number;
  /** Keep every snapshot carrying one of these tags. */
  readonly keepTags?: readonly string[];
}

export interface ForgetDecision {
  readonly keep: readonly { readonly snapshot: Snapshot; readonly reasons: readonly string[] }[];
  readonly remove: readonly Snapshot[];
}

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${pad(week)}`;
}

const BUCKETS = {
  keepHourly: (d: Date) =>
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}`,
  keepDaily: (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`,
  keepWeekly: isoWeek,
  keepMonthly: (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`,
  keepYearly: (d: Date) => `${d.getUTCFullYear()}`,
} as const;

/** TypeError for negative/non-integer counts, or a policy that keeps nothing (it would delete everything). */
export function validateForgetPolicy(policy: ForgetPolicy): void {
  let any = false;
  for (const key of ["keepLast", ...Object.keys(BUCKETS)] as const) {
    const v = policy[key as keyof ForgetPolicy];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0)
      throw new TypeError(`${key} must be an integer >= 0`);
    if (v > 0) any = true;
  }
  if (policy.keepWithinMs !== undefined) {
    if (!(policy.keepWithinMs >= 0)) throw new TypeError("keepWithinMs must be >= 0");
    any = true;
  }
  if (policy.keepTags !== undefined && policy.keepTags.length > 0) any = true;
  if (!any) throw new TypeError("forget policy keeps nothing; refusing to remove every snapshot");
}

/** Decides for one group (one mailbox, one snapshot group). Input order does not matter. */
export function applyForgetPolicy(snapshots: readonly Snapshot[], policy: ForgetPolicy): ForgetDecision {
  validateForgetPolicy(policy);
  const sorted = [...snapshots].sort((a, b) => b.time.getTime() - a.time.getTime() || (a.id < b.id ? -1 : 1));
  const reasons = new Map<Snapshot, string[]>();
  const mark = (s: Snapshot, why: string) => {
    const list = reasons.get(s) ?? [];
    list.push(why);
    reasons.set(s, list);
  };
  let last = policy.keepLast ?? 0;
  for (const s of sorted) {
    if (last <= 0) break;
    mark(s, "last");
    last--;
  }
  for (const [rule, bucketOf] of Object.entries(BUCKETS) as [keyof typeof BUCKETS, (d: Date) => string][]) {
    let remaining = policy[rule] ?? 0;
    let lastBucket: string | undefined;
    for (const s of sorted) {
      if (remaining <= 0) break;
      const bucket = bucketOf(s.time);
      if (bucket === lastBucket) continue;
      lastBucket = bucket;
      mark(s, rule.slice(4).toLowerCase());
      remaining--;
    }
  }
  const newest = sorted[0];
  if (policy.keepWithinMs !== undefined && newest !== undefined) {
    const limit = newest.time.getTime() - policy.keepWithinMs;
    for (const s of sorted) if (s.time.getTime() >= limit) mark(s, "within");
  }
  if (policy.keepTags !== undefined && policy.keepTags.length > 0) {
    for (const s of sorted) if (s.tags.some((t) => policy.keepTags?.includes(t))) mark(s, "tag");
  }
  return {
    keep: sorted.filter((s) => reasons.has(s)).map((s) => ({ snapshot: s, reasons: reasons.get(s) ?? [] })),
    remove: sorted.filter((s) => !reasons.has(s)),
  };
}
