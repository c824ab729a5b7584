// Fault injection and throttling state: deterministic (seeded PRNG, per-rule counters) so a
// test that configures a fault can count exactly what happened through counters().
import type { ItemFault } from "../operations/index.js";
import type { FaultKind, FaultRule } from "./options.js";
import { seededRandom } from "./prng.js";

const ITEM_KINDS: ReadonlySet<FaultKind> = new Set(["itemNotFound", "corruptData"]);

export class FaultInjector {
  readonly #rules: { rule: FaultRule; count: number }[];
  readonly #random: () => number;

  constructor(rules: readonly FaultRule[], seed: number) {
    for (const rule of rules) {
      if (rule.rate !== undefined && (!(rule.rate >= 0) || rule.rate > 1))
        throw new TypeError(`fault rate must be within 0..1, got ${rule.rate}`);
    }
    this.#rules = rules.map((rule) => ({ rule, count: 0 }));
    this.#random = seededRandom(seed);
  }

  #fire(entry: { rule: FaultRule; count: number }): boolean {
    entry.count++;
    if (entry.rule.nth?.includes(entry.count)) return true;
    return entry.rule.rate !== undefined && entry.rule.rate > 0 && this.#random() < entry.rule.rate;
  }

  /** The request-level fault for this request of `operation`, if any (every matching rule counts it). */
  requestFault(operation: string): FaultKind | undefined {
    let hit: FaultKind | undefined;
    for (const entry of this.#rules) {
      if (ITEM_KINDS.has(entry.rule.kind)) continue;
      if (entry.rule.operation !== undefined && entry.rule.operation !== operation) continue;
      if (this.#fire(entry) && hit === undefined) hit = entry.rule.kind;
    }
    return hit;
  }

  /** The per-item fault for the next item served by `operation`, if any. */
  itemFault(operation: string): { kind: FaultKind; fault: ItemFault } | undefined {
    let hit: { kind: FaultKind; fault: ItemFault } | undefined;
    for (const entry of this.#rules) {
      if (!ITEM_KINDS.has(entry.rule.kind)) continue;
      if (entry.rule.operation !== undefined && entry.rule.operation !== operation) continue;
      if (this.#fire(entry) && hit === undefined) {
        hit = {
          kind: entry.rule.kind,
          fault: entry.rule.kind === "itemNotFound" ? "ErrorItemNotFound" : "ErrorCorruptData",
        };
      }
    }
    return hit;
  }
}

/** Token bucket counted in requests; see ThrottlingOptions. */
export class RequestBudget {
  #tokens: number;
  #last: number;
  constructor(
    readonly burst: number,
    readonly rechargePerSecond: number,
  ) {
    this.#tokens = burst;
    this.#last = Date.now();
  }

  /** Takes one token, or returns the milliseconds until one is available. */
  take(): number {
    const now = Date.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.rechargePerSecond);
    this.#last = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - this.#tokens) / this.rechargePerSecond) * 1000));
  }
}
