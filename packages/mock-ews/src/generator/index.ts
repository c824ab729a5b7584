// The deterministic mailbox generator: invents mailboxes, folder trees and items from a seed,
// lazily (every item is computed from seed, mailbox, folder and index; an optional bounded cache
// keeps recent ones), so test and benchmark mailboxes of any size cost no memory up front and
// are identical on every run.

export type { GeneratorOptions } from "./mailbox-generator.js";
export { createMailboxGenerator } from "./mailbox-generator.js";
