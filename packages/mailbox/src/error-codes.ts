// Every code the project throws through EwsVaultError, in one `as const` table with its meaning.
// The table is the type: ErrorCode is its keys, so a mistyped code does not compile, and
// docs/error-codes.md is checked against it (packages/mailbox/test/error-codes.test.ts), so a
// new code cannot ship without its documentation. CLI-only codes (CliError), service codes
// (ServiceError) and destination codes (DestinationError) belong to their own error classes.

export const ERROR_CODES = {
  // Mailbox sources and targets (@ewsvault/ews and every other MailboxSource / MailboxTarget).
  EWS_AUTH_FAILED: "the server refused the credentials or the token could not be obtained",
  EWS_IMPERSONATION_DENIED: "the account may not impersonate (or act for) this mailbox",
  EWS_ACCESS_DENIED: "the account may not read or write what the request names",
  EWS_MAILBOX_NOT_FOUND: "no such mailbox",
  EWS_FOLDER_NOT_FOUND: "no such folder in the mailbox (or a distinguished folder the mailbox lacks)",
  EWS_FOLDER_EXISTS: "createFolder: a folder of that name already exists under the parent",
  EWS_THROTTLED: "still throttled by the server after the configured retries",
  EWS_UNREACHABLE: "the server could not be reached (DNS, connection refused, nothing discovered)",
  EWS_TLS: "certificate or TLS handshake failure",
  EWS_INVALID_SYNC_STATE: "the sync state was refused; resync the folder or hierarchy from scratch",
  EWS_MALFORMED_RESPONSE: "the server's answer was not well-formed or lacked required parts",
  EWS_SERVER_ERROR: "any other server failure (details.responseCode names it)",
  EWS_TIMEOUT: "a request deadline passed after retries",
  EWS_MESSAGE_SIZE_EXCEEDED: "the server refused a single item as too large",
  EWS_ABORTED: "the caller's AbortSignal fired",
  EWS_RESPONSE_TOO_LARGE: "a response passed the client's maxResponseBytes",
  EWS_INSECURE_AUTH: "Basic or bearer credentials over plain http without allowInsecureAuth",
  EWS_OPERATION_UNSUPPORTED: "the server does not offer the operation (older version, or turned off)",
  // Repository (@ewsvault/core).
  REPO_NOT_FOUND: "no repository at that location",
  REPO_ALREADY_EXISTS: "init on a location that already holds a repository",
  REPO_CORRUPT: "stored bytes failed authentication, hashing or parsing; never returned as data",
  REPO_VERSION_UNSUPPORTED: "the repository's format is newer than this ewsvault reads",
  REPO_MISSING_BLOB: "a referenced blob is absent",
  REPO_MISSING_PACK: "a referenced pack is absent",
  REPO_MISSING_CONFIG: "the repository config object is absent",
  REPO_UNREADABLE: "an object could not be read (the destination error is the cause)",
  REPO_SNAPSHOT_NOT_FOUND: "no such snapshot, or none matching the time",
  REPO_SNAPSHOT_MISSING: "verify: a snapshot named as parent is gone and no forget record names it",
  REPO_MAILBOX_LOCKED: "another backup of the mailbox holds its lock",
  REPO_LOCKED: "an exclusive lock or live backups prevent the operation",
  REPO_LOCK_LOST: "a held lock could not be refreshed",
  REPO_WRITE_FAILED: "a write after an earlier write failure",
  REPO_WRITER_CLOSED: "a write after the writer was closed",
  REPO_CLOSED: "an operation on a closed repository",
  REPO_PRUNE_FAILED: "prune could not finish (nothing referenced was removed)",
  REPO_REPAIR_FAILED: "repair could not finish",
  SNAPSHOT_GROUP_AMBIGUOUS: "'latest' of a mailbox with snapshots of several selections: name a group",
  SNAPSHOT_TREE_INVALID: "a snapshot tree is malformed",
  SNAPSHOT_TREE_VERSION: "a snapshot tree is of an unknown version",
  // Keys and encryption.
  CRYPTO_WRONG_PASSWORD: "no key slot opens with this password, key or recovery code",
  CRYPTO_AUTH_FAILED: "authenticated decryption failed (tampering or wrong key)",
  KEY_NOT_FOUND: "no such key slot",
  KEY_LAST_SLOT: "refusing to remove the slot in use or the last password slot",
  RECOVERY_CODE_INVALID: "a mistyped recovery code (its checksum does not match)",
  // Engine (backup and restore).
  SELECTION_INVALID: "a selection that cannot match (bad pattern, date or root)",
  SYNC_NO_PROGRESS: "the server never finished a sync loop; the mailbox fails and resumes next run",
  ITEM_BINDING_MISMATCH: "restore: an item's stored data is bound to another item; it is not restored",
  SETTINGS_DOCUMENT_INVALID: "a stored settings document is malformed or of an unknown version",
  SETTINGS_NOT_STORED:
    "restore --settings: the snapshot holds no value of that kind (none backed up, or it failed then)",
  SETTINGS_TARGET_UNSUPPORTED: "restore --settings: the target cannot write settings (no applySettings)",
  SETTINGS_PRINCIPAL_UNMAPPED:
    "restore --settings: a principal not in the principal map; left out of what is written",
  SETTINGS_FOLDER_UNMAPPED:
    "restore --settings: a folder reference to a folder the snapshot does not hold; entry not written",
  SETTINGS_PRINCIPAL_MAP_INVALID:
    "a principal map file (old,new addresses) is unreadable, malformed or contradicts itself; nothing is written",
  // The per-mailbox index.
  INDEX_CORRUPT: "a mailbox index is unreadable (it is rebuilt)",
  INDEX_VERSION: "a mailbox index of another format (it is rebuilt)",
  INDEX_AUTH_FAILED: "a mailbox index entry failed authentication (it is rebuilt)",
  INDEX_LEGACY_NOT_REMOVED: "backup warning: an old plaintext index directory could not be removed",
} as const satisfies Record<string, string>;

/** A code an EwsVaultError may carry; a mistyped code does not compile. */
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * An Exchange ResponseCode (ErrorItemNotFound, ErrorCorruptData, ...). A source that has no
 * better classification for one item's failure MAY pass it through as ItemError.code; the
 * engine reports it, and rethrows it as the mailbox's error when the disposition is fatal.
 */
export type ExchangeResponseCode = `Error${string}`;

/** What ItemError.code (and so EwsVaultError.code, which may carry a fatal item's code) holds. */
export type ItemErrorCode = ErrorCode | ExchangeResponseCode;

/** True when `code` is one of the documented ErrorCodes. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.hasOwn(ERROR_CODES, code);
}
