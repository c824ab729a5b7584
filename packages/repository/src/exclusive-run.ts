// Runs a maintenance operation (prune, repair) under the exclusive lock: taken only while no
// live backup or mailbox lock exists (lock-manager.ts), always released, and any failure that is
// not already an EwsVaultError is reported under the operation's own code, so a caller sees one
// stable code per operation whatever went wrong below it.

import { type ErrorCode, EwsVaultError, isEwsVaultError } from "@ewsvault/mailbox";

/** What a maintenance operation needs of the lock manager. */
export interface ExclusiveLocks {
  /** Polls for up to waitMs; MUST throw REPO_LOCKED while others hold live locks after that. */
  acquireExclusiveLock(waitMs: number, pollMs: number): Promise<{ release(): Promise<void> }>;
}

export interface ExclusiveWait {
  /** How long to wait for other locks to go away before REPO_LOCKED; default 0 (refuse at once). */
  readonly waitMs?: number;
  /** Poll interval while waiting; default 1000 ms. */
  readonly pollMs?: number;
}

export async function runExclusive<T>(
  locks: ExclusiveLocks,
  wait: ExclusiveWait,
  failure: { readonly code: ErrorCode; readonly message: string },
  operation: () => Promise<T>,
): Promise<T> {
  const lock = await locks.acquireExclusiveLock(wait.waitMs ?? 0, wait.pollMs ?? 1000);
  try {
    return await operation();
  } catch (error) {
    if (isEwsVaultError(error)) throw error;
    throw new EwsVaultError(failure.code, failure.message, { cause: error });
  } finally {
    await lock.release();
  }
}
