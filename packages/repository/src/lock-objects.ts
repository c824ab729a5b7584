// Lock objects under locks/: their sealed format, reading them all, and creating one that
// refreshes itself. Every lock is created with an exclusive save and refreshed on a timer; a
// holder that stops refreshing, or a dead process on this host, makes a lock stale. Which locks
// a process takes and when is lock-manager.ts. Protocol: docs/repository-format.md, "Locks".

import { randomBytes } from "node:crypto";
import { hostname as osHostname } from "node:os";
import { type Destination, isDestinationError } from "@ewsvault/destination";
import { EwsVaultError } from "@ewsvault/mailbox";
import { AD, fromUtf8, lockObjectName, OBJECT_PREFIX, utf8 } from "./format.js";
import { openObject, type Sealer } from "./sealer.js";

export type LockKind = "backup" | "mailbox" | "exclusive";

export interface LockInfo {
  /** Object name, e.g. "locks/backup-<hex>". */
  readonly name: string;
  readonly kind: LockKind;
  readonly hostname: string;
  readonly pid: number;
  readonly createdAt: Date;
  readonly refreshedAt: Date;
  /** The mailbox, for kind "mailbox". */
  readonly mailbox?: string;
  /** True when the holder has not refreshed within staleAfterMs, or is a dead process on this host. */
  readonly stale: boolean;
  /** True when the object cannot be read; treated as held (never stale) so nothing is deleted on a guess. */
  readonly unreadable?: boolean;
}

export interface LockContent {
  readonly kind: LockKind;
  readonly hostname: string;
  readonly pid: number;
  readonly createdAt: string;
  readonly refreshedAt: string;
  readonly mailbox?: string;
}

export const EXCLUSIVE_LOCK_NAME = lockObjectName("exclusive");
export const DEFAULT_LOCK_STALE_AFTER_MS = 30 * 60_000;

export function backupLockName(): string {
  return lockObjectName(`backup-${randomBytes(16).toString("hex")}`);
}

export function encodeLock(content: LockContent, sealer: Sealer): Uint8Array {
  return sealer.seal(utf8(JSON.stringify({ v: 1, ...content })), AD.lock);
}

export function decodeLock(name: string, bytes: Uint8Array, sealer: Sealer): LockContent {
  const plain = openObject(sealer, bytes, AD.lock, { object: name });
  return JSON.parse(fromUtf8(plain)) as LockContent & { v: number };
}

/** False only when the process certainly does not exist (ESRCH); EPERM means it exists. */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/** The holder is a process on this host that no longer exists: certainly not holding anything. */
export function isDeadLocalHolder(holder: { hostname: string; pid: number }): boolean {
  return (
    holder.hostname === osHostname() && holder.pid !== process.pid && holder.pid > 0 && !pidAlive(holder.pid)
  );
}

function isStale(content: LockContent, staleAfterMs: number, now = Date.now()): boolean {
  if (now - Date.parse(content.refreshedAt) > staleAfterMs) return true;
  return isDeadLocalHolder(content);
}

/** A readable lock object as LockInfo. */
export function lockInfoOf(name: string, content: LockContent, staleAfterMs: number): LockInfo {
  return {
    name,
    kind: content.kind,
    hostname: content.hostname,
    pid: content.pid,
    createdAt: new Date(content.createdAt),
    refreshedAt: new Date(content.refreshedAt),
    ...(content.mailbox === undefined ? {} : { mailbox: content.mailbox }),
    stale: isStale(content, staleAfterMs),
  };
}

/** A lock object that cannot be read: held (never stale), so nothing is removed on a guess. */
export function unreadableLockInfo(name: string, at: Date): LockInfo {
  return {
    name,
    kind: name === EXCLUSIVE_LOCK_NAME ? "exclusive" : "backup",
    hostname: "",
    pid: 0,
    createdAt: at,
    refreshedAt: at,
    stale: false,
    unreadable: true,
  };
}

export async function readLocks(
  destination: Pick<Destination, "list" | "load">,
  sealer: Sealer,
  staleAfterMs: number,
): Promise<LockInfo[]> {
  const out: LockInfo[] = [];
  for await (const info of destination.list(OBJECT_PREFIX.locks)) {
    let bytes: Uint8Array;
    try {
      bytes = await destination.load(info.name);
    } catch (error) {
      if (isDestinationError(error, "DEST_NOT_FOUND")) continue; // released meanwhile
      throw error;
    }
    try {
      out.push(lockInfoOf(info.name, decodeLock(info.name, bytes, sealer), staleAfterMs));
    } catch {
      out.push(unreadableLockInfo(info.name, info.modifiedAt ?? new Date(0)));
    }
  }
  return out;
}

/** A held lock. release() is idempotent; refreshing runs on an unref'd timer until then. */
export interface LockHandle {
  readonly name: string;
  readonly kind: LockKind;
  refresh(): Promise<void>;
  /**
   * False once refreshing has failed for more than half of staleAfterMs: others may soon treat
   * the lock as stale (and prune may run), so its holder must stop relying on it.
   */
  healthy(): boolean;
  release(): Promise<void>;
}

/**
 * Creates a lock object with an exclusive save. MUST throw DestinationError DEST_ALREADY_EXISTS
 * when the name is taken (callers turn that into their own code).
 */
export async function createLock(
  destination: Pick<Destination, "save" | "remove">,
  sealer: Sealer,
  name: string,
  kind: LockKind,
  staleAfterMs: number,
  mailbox?: string,
): Promise<LockHandle> {
  const createdAt = new Date().toISOString();
  const content = (): LockContent => ({
    kind,
    hostname: osHostname(),
    pid: process.pid,
    createdAt,
    refreshedAt: new Date().toISOString(),
    ...(mailbox === undefined ? {} : { mailbox }),
  });
  await destination.save(name, encodeLock(content(), sealer), { exclusive: true });
  let released = false;
  let lastRefresh = Date.now();
  let refreshing: Promise<void> = Promise.resolve();
  const refresh = (): Promise<void> => {
    if (released) return Promise.resolve();
    const attempt = Date.now();
    refreshing = refreshing
      .then(() => (released ? undefined : destination.save(name, encodeLock(content(), sealer))))
      .then(
        () => {
          lastRefresh = attempt;
        },
        () => {
          // Retried by the next tick; healthy() turns false long before others see the lock as stale.
        },
      );
    return refreshing;
  };
  const timer = setInterval(refresh, Math.max(1000, Math.floor(staleAfterMs / 6)));
  timer.unref();
  return {
    name,
    kind,
    refresh,
    healthy: () => Date.now() - lastRefresh < staleAfterMs / 2,
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      await refreshing;
      await destination.remove(name);
    },
  };
}

export function mailboxLockedError(holder: LockInfo | undefined, mailbox: string): EwsVaultError {
  return new EwsVaultError(
    "REPO_MAILBOX_LOCKED",
    `mailbox ${mailbox} is being backed up by another process`,
    {
      details: {
        mailbox,
        hostname: holder?.hostname,
        pid: holder?.pid,
        refreshedAt: holder?.refreshedAt.toISOString(),
        stale: holder?.stale,
      },
    },
  );
}
