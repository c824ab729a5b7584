// The shape of one conformance check: a plain async function over a fresh instance, so the
// suite can declare it as a vitest case and a test can run it directly (to prove it fails).
import type { MailboxFeatures, MailboxUnderTest } from "../harness.js";

export interface MailboxCheck {
  /** The concern it belongs to (the describe block). */
  readonly concern: string;
  readonly name: string;
  /** The optional feature it exercises; it runs only when the features declare it. */
  readonly needs?: keyof MailboxFeatures;
  /** Resolves when the instance conforms; throws (an assertion error) when it does not. */
  run(subject: MailboxUnderTest, features: MailboxFeatures): Promise<void>;
}
