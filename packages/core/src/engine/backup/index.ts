// Backup: one run over many mailboxes, each backed up item by item into the repository.
//
// The stages of one mailbox, each in its own file, in the order a run meets them:
//   run.ts             the multi-mailbox run: limits, the shared byte budget, the rerun
//   mailbox-backup.ts  one mailbox: the orchestration of the stages below
//   index-open.ts      open, rebuild or refill the mailbox index
//   index-session.ts   the index as the run sees and changes it (uncommitted changes first)
//   hierarchy.ts       folder hierarchy sync per root
//   probe.ts           folder change markers, read before any folder is synced
//   change-detection.ts  which folders to sync and which items to export (pure functions)
//   folder-sync.ts     item sync per folder, deletions (sync-pages.ts: the paging loop)
//   export-store.ts    export batches through the byte budget, storing items
//   durability.ts      checkpoints: a sync state advances only after its items are durable
//   snapshot-writer.ts the mailbox tree and the snapshot
//   progress.ts        counters, progress events with ETA, failures, warnings, the report
// context.ts holds what every stage is handed (MailboxRun). Knobs come from ../limits.ts.
export { backup } from "./run.js";
