// @ewsvault/mailbox/testing — the conformance suite every MailboxSource / MailboxTarget runs,
// the helpers it is built from, and an in-memory mailbox that passes it (for engine tests).
// One suite for all keeps "what a mailbox source must do" in one place: an implementation opts
// out of a check only through its declared features.
export type { MailboxCheck } from "./checks/check.js";
export { classified, errorContractViolation } from "./classified.js";
export type {
  FixtureItem,
  MailboxConformanceOptions,
  MailboxFeatures,
  MailboxFixture,
  MailboxUnderTest,
} from "./harness.js";
export {
  currentFolders,
  expectMailboxError,
  exportAll,
  exportedData,
  messageRoot,
  sameBytes,
  syncHierarchyToEnd,
  syncItemsToEnd,
  uniqueName,
} from "./helpers.js";
export {
  MemoryExchange,
  type MemoryExchangeOptions,
  type MemoryMailboxState,
  type StoredItem,
} from "./memory-mailbox.js";
export {
  applicableChecks,
  MAILBOX_CHECKS,
  type MailboxCheckOutcome,
  runMailboxCheck,
  runMailboxChecks,
  runMailboxConformance,
} from "./suite.js";
