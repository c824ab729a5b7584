// What a destination package hands the conformance suite: how to make fresh destinations, how
// to interrupt them for the transient-failure case, and the suite's knobs.

import type { Destination } from "../destination.js";

/** Hooks a target may offer so the suite can check behaviour under failure. */
export interface ConformanceFaults {
  /**
   * Makes the destinations from create() unreachable (for example stops the server) and
   * resolves to a function that makes them reachable again. While interrupted, operations
   * MUST fail with DEST_TRANSIENT; once restored, the same destination object MUST work again.
   */
  interrupt(): Promise<() => Promise<void>>;
}

export interface ConformanceTarget {
  /** A fresh, empty destination for one test (distinct prefix/dir/container per call). */
  create(): Promise<Destination>;
  /** Optional: wipe resources after the suite. */
  cleanup?(): Promise<void>;
  /** Optional fault hooks for the transient-error cases; without them those cases are not declared. */
  faults?: ConformanceFaults;
}

export interface ConformanceOptions {
  /** Per-test timeout; default 60 000 ms. */
  timeoutMs?: number;
  /** Objects saved for the big listing case; default 2 000. */
  manyObjects?: number;
  /** Size of the large objects (round trip, atomic visibility); default 5 MiB. */
  largeObjectBytes?: number;
  /**
   * Declares the transient-failure cases for a lazy target (a function), whose `faults` cannot
   * be seen while the suite is declared; the case then fails if the target has no `faults`.
   * Object targets are detected from their `faults` property.
   */
  faults?: boolean;
}
