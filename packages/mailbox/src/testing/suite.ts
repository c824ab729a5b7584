// The mailbox conformance suite: every check of every concern, declared as vitest cases by
// runMailboxConformance, or run directly by runMailboxChecks (which is how the suite proves it
// can fail). Checks of an optional feature run only when the features declare it, and the
// capabilities check holds the declaration to what the instance has: that is the only opt-out.
import { describe, it } from "vitest";
import { capabilityChecks } from "./checks/capabilities.js";
import type { MailboxCheck } from "./checks/check.js";
import { errorChecks } from "./checks/errors.js";
import { exportChecks } from "./checks/export.js";
import { hierarchyChecks } from "./checks/hierarchy.js";
import { itemSyncChecks } from "./checks/item-sync.js";
import { lifecycleChecks } from "./checks/lifecycle.js";
import { probeChecks } from "./checks/probes.js";
import { restoreChecks } from "./checks/restore.js";
import { settingsChecks } from "./checks/settings.js";
import { classified } from "./classified.js";
import type { MailboxConformanceOptions, MailboxFeatures } from "./harness.js";

export const MAILBOX_CHECKS: readonly MailboxCheck[] = [
  ...capabilityChecks,
  ...hierarchyChecks,
  ...itemSyncChecks,
  ...exportChecks,
  ...restoreChecks,
  ...probeChecks,
  ...settingsChecks,
  ...errorChecks,
  ...lifecycleChecks,
];

/** The checks that apply to an implementation with these features. */
export function applicableChecks(features: MailboxFeatures): MailboxCheck[] {
  return MAILBOX_CHECKS.filter((check) => check.needs === undefined || features[check.needs]);
}

/**
 * Runs one check on a fresh instance from `create` (every rejection held to the error contract),
 * closing and disposing it afterwards.
 */
export async function runMailboxCheck(
  check: MailboxCheck,
  options: MailboxConformanceOptions,
): Promise<void> {
  const subject = await options.create();
  const violations: string[] = [];
  try {
    await check.run(
      {
        ...subject,
        source: classified(subject.source, violations),
        ...(subject.target === undefined ? {} : { target: classified(subject.target, violations) }),
      },
      options.features,
    );
    if (violations.length > 0) throw new Error(`the error contract was broken:\n${violations.join("\n")}`);
  } finally {
    try {
      await subject.source.close();
      if (subject.target !== undefined && subject.target !== (subject.source as unknown))
        await subject.target.close();
    } finally {
      await subject.dispose?.();
    }
  }
}

export interface MailboxCheckOutcome {
  readonly check: MailboxCheck;
  /** Why the check failed; undefined when it passed. */
  readonly error?: unknown;
}

/** Runs every applicable check one after the other and reports each outcome (never throws for a failed check). */
export async function runMailboxChecks(options: MailboxConformanceOptions): Promise<MailboxCheckOutcome[]> {
  const outcomes: MailboxCheckOutcome[] = [];
  for (const check of applicableChecks(options.features)) {
    try {
      await runMailboxCheck(check, options);
      outcomes.push({ check });
    } catch (error) {
      outcomes.push({ check, error });
    }
  }
  return outcomes;
}

/** Declares the mailbox conformance suite (vitest describe/it) for one implementation. */
export function runMailboxConformance(options: MailboxConformanceOptions): void {
  const timeout = options.timeoutMs ?? 30_000;
  const checks = applicableChecks(options.features);
  describe(`mailbox conformance: ${options.name}`, () => {
    for (const concern of new Set(checks.map((check) => check.concern))) {
      describe(concern, () => {
        for (const check of checks.filter((candidate) => candidate.concern === concern))
          it(check.name, () => runMailboxCheck(check, options), timeout);
      });
    }
  });
}
