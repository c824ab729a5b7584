// The deterministic mailbox generator: invents mailboxes, folder trees and items from a seed,
// lazily (every item is recomputed from seed, mailbox, folder and index), so test and benchmark
// mailboxes of any size cost no memory up front and are identical on every run.
export { createMailboxGenerator } from "./mailbox-generator.js";
export type { GeneratorOptions } from "./mailbox-generator.js";
