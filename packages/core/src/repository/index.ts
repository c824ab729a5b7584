// Repository: encrypted, deduplicating storage of mailbox data (see docs/repository-format.md).
// Must not import engine code.
export {};
