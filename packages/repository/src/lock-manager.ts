// The locks one open repository takes, and when. Writers never lock each other (unique pack and
// pack index names make concurrent writes safe); locks exist only so prune never deletes what a
// running backup relies on, and so one mailbox is never backed up twice at once:
// - the backup lock: shared, one per process, reference counted by writers, mailbox locks and
//   snapshot saves; refused while a live exclusive lock exists;
// - mailbox locks: one per mailbox being backed up;
// - the exclusive lock: prune and repair, only while nobody else holds a live lock.
// Lock objects go straight to the destination, never through the data layers' connection limit:
// a refresh queued behind pack uploads could let a lock go stale. Protocol:
// docs/repository-format.md, "Locks"; the objects themselves: lock-objects.ts.

import { type Destination, isDestinationError } from "@ewsvault/destination";
import { EwsVaultError } from "@ewsvault/mailbox";
import { keyedBlobId } from "./crypto/index.js";
import { utf8 } from "./format.js";
import {
  backupLockName,
  createLock,
  decodeLock,
  EXCLUSIVE_LOCK_NAME,
  isDeadLocalHolder,
  type LockHandle,
  type LockInfo,
  lockInfoOf,
  mailboxLockedError,
  readLocks,
  unreadableLockInfo,
} from "./lock-objects.js";
import type { Sealer } from "./sealer.js";

export interface MailboxLock {
  readonly mailbox: string;
  /** Removes the lock object; idempotent. */
  release(): Promise<void>;
}

/** Lock objects are written, read, listed and removed directly. */
export type LockObjects = Pick<Destination, "list" | "load" | "save" | "remove">;

export class LockManager {
  private readonly mailboxLocks = new Set<LockHandle>();
  private backupLock: Promise<LockHandle> | undefined;
  private backupUsers = 0;
  private lockLost: EwsVaultError | undefined;

  constructor(
    private readonly objects: LockObjects,
    private readonly sealer: Sealer,
    /** Keys the mailbox lock names, so they do not show the address. */
    private readonly idKey: Uint8Array,
    readonly staleAfterMs: number,
  ) {}

  /** True while anything of this process holds the backup lock. */
  get backupLockHeld(): boolean {
    return this.backupUsers > 0;
  }

  private async exclusiveHolder(): Promise<LockInfo | undefined> {
    let bytes: Uint8Array;
    try {
      bytes = await this.objects.load(EXCLUSIVE_LOCK_NAME);
    } catch (error) {
      if (isDestinationError(error, "DEST_NOT_FOUND")) return undefined;
      throw error;
    }
    try {
      return lockInfoOf(
        EXCLUSIVE_LOCK_NAME,
        decodeLock(EXCLUSIVE_LOCK_NAME, bytes, this.sealer),
        this.staleAfterMs,
      );
    } catch {
      return unreadableLockInfo(EXCLUSIVE_LOCK_NAME, new Date());
    }
  }

  /**
   * Takes the process's shared backup lock (reference counted; the first user creates it). MUST
   * throw REPO_LOCKED while a live exclusive lock exists.
   */
  async acquireBackupLock(): Promise<void> {
    this.backupUsers++;
    if (this.backupLock === undefined) {
      this.backupLock = (async () => {
        const handle = await createLock(
          this.objects,
          this.sealer,
          backupLockName(),
          "backup",
          this.staleAfterMs,
        );
        const holder = await this.exclusiveHolder();
        if (holder !== undefined && !holder.stale) {
          await handle.release();
          throw new EwsVaultError("REPO_LOCKED", "the repository is locked exclusively (prune is running)", {
            details: {
              hostname: holder.hostname,
              pid: holder.pid,
              refreshedAt: holder.refreshedAt.toISOString(),
            },
          });
        }
        return handle;
      })();
    }
    try {
      await this.backupLock;
    } catch (error) {
      this.backupUsers--;
      this.backupLock = undefined;
      throw error;
    }
  }

  /** Drops one use of the backup lock; the last one removes the lock object. */
  async releaseBackupLock(): Promise<void> {
    this.backupUsers--;
    if (this.backupUsers > 0 || this.backupLock === undefined) return;
    const pending = this.backupLock;
    this.backupLock = undefined;
    const handle = await pending.catch(() => undefined);
    await handle?.release();
  }

  /**
   * MUST throw REPO_LOCK_LOST once this process's backup or a mailbox lock could not be
   * refreshed for half the stale time: a prune elsewhere may then run, so nothing written from
   * here on may be trusted to reference existing blobs. Sticky for the repository's lifetime.
   */
  async assertHealthy(): Promise<void> {
    if (this.lockLost !== undefined) throw this.lockLost;
    const handles = [...this.mailboxLocks];
    const backup = await this.backupLock?.catch(() => undefined);
    if (backup !== undefined) handles.push(backup);
    const lost = handles.find((h) => !h.healthy());
    if (lost !== undefined) {
      this.lockLost = new EwsVaultError(
        "REPO_LOCK_LOST",
        `lock ${lost.name} could not be refreshed; aborting`,
        {
          details: { object: lost.name },
        },
      );
      throw this.lockLost;
    }
  }

  /** Names of lock objects this process holds (never broken by unlock()). */
  private async ownLockNames(): Promise<Set<string>> {
    const names = new Set<string>();
    for (const h of this.mailboxLocks) names.add(h.name);
    const backup = await this.backupLock?.catch(() => undefined);
    if (backup !== undefined) names.add(backup.name);
    return names;
  }

  mailboxLockName(mailbox: string): string {
    return `locks/mailbox-${keyedBlobId(this.idKey, utf8(`ewsvault/v1/mailbox-lock\n${mailbox}`))}`;
  }

  /**
   * Takes the mailbox's lock and a use of the backup lock. MUST throw REPO_MAILBOX_LOCKED while
   * another holder's lock exists; a lock whose holder is a dead process on this host is broken
   * automatically (a few attempts), a lock stale by time only through unlock().
   */
  async lockMailbox(mailbox: string): Promise<MailboxLock> {
    await this.acquireBackupLock();
    const name = this.mailboxLockName(mailbox);
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          const handle = await createLock(
            this.objects,
            this.sealer,
            name,
            "mailbox",
            this.staleAfterMs,
            mailbox,
          );
          this.mailboxLocks.add(handle);
          let released = false;
          return {
            mailbox,
            release: async () => {
              if (released) return;
              released = true;
              this.mailboxLocks.delete(handle);
              await handle.release();
              await this.releaseBackupLock();
            },
          };
        } catch (error) {
          if (!isDestinationError(error, "DEST_ALREADY_EXISTS") || attempt >= 3) throw error;
        }
        const holder = (await this.listLocks()).find((l) => l.name === name);
        if (holder === undefined) continue; // released meanwhile
        if (holder.unreadable || !isDeadLocalHolder(holder)) throw mailboxLockedError(holder, mailbox);
        await this.objects.remove(name);
      }
    } catch (error) {
      await this.releaseBackupLock();
      throw error;
    }
  }

  /** Releases every mailbox lock still held (repository close); failures are ignored. */
  async releaseMailboxLocks(): Promise<void> {
    for (const handle of [...this.mailboxLocks]) {
      this.mailboxLocks.delete(handle);
      await handle.release().catch(() => undefined);
      await this.releaseBackupLock();
    }
  }

  /**
   * The exclusive lock (prune, repair), taken only when no live lock of anyone else exists;
   * polls for up to waitMs, then MUST throw REPO_LOCKED naming the holders.
   */
  async acquireExclusiveLock(waitMs: number, pollMs: number): Promise<LockHandle> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      let handle: LockHandle | undefined;
      let holders: LockInfo[] = [];
      try {
        handle = await createLock(
          this.objects,
          this.sealer,
          EXCLUSIVE_LOCK_NAME,
          "exclusive",
          this.staleAfterMs,
        );
      } catch (error) {
        if (!isDestinationError(error, "DEST_ALREADY_EXISTS")) throw error;
        const holder = await this.exclusiveHolder();
        if (holder?.stale) {
          await this.objects.remove(EXCLUSIVE_LOCK_NAME);
          continue;
        }
        if (holder !== undefined) holders = [holder];
      }
      if (handle !== undefined) {
        const locks = await this.listLocks();
        holders = locks.filter((l) => l.name !== EXCLUSIVE_LOCK_NAME && !l.stale);
        if (holders.length === 0) return handle;
        await handle.release();
      }
      if (Date.now() + pollMs > deadline) {
        throw new EwsVaultError("REPO_LOCKED", "the repository is in use by a backup; prune refused", {
          details: {
            holders: holders.map((h) => ({
              kind: h.kind,
              hostname: h.hostname,
              pid: h.pid,
              refreshedAt: h.refreshedAt.toISOString(),
            })),
          },
        });
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  listLocks(): Promise<LockInfo[]> {
    return readLocks(this.objects, this.sealer, this.staleAfterMs);
  }

  /** Removes stale locks (staleOnly, default) or every lock not held by this process. Returns names removed. */
  async unlock(options: { staleOnly?: boolean } = {}): Promise<string[]> {
    const staleOnly = options.staleOnly ?? true;
    const own = await this.ownLockNames();
    const removed: string[] = [];
    for (const lock of await this.listLocks()) {
      if (own.has(lock.name) || (staleOnly && !lock.stale)) continue;
      await this.objects.remove(lock.name);
      removed.push(lock.name);
    }
    return removed;
  }
}
