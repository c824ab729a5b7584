// ssh2's callback API as promises on one pooled connection, and the chunked, pipelined reads
// and writes a transfer is made of. Every call races the connection's death, so a request
// ssh2 would leave unanswered still settles (with DEST_TRANSIENT).
import pLimit from "p-limit";
import type { SFTPWrapper, Stats } from "ssh2";
import type { PooledSftp } from "./connection-pool.js";
import { SftpStatus, sftpStatus } from "./errors.js";

/**
 * Promisified SFTP call on one pooled connection; settles with DEST_TRANSIENT as soon as the
 * connection dies, even for requests ssh2 would leave unanswered.
 */
function call<T>(
  connection: PooledSftp,
  invoke: (sftp: SFTPWrapper, callback: (error: Error | null | undefined, value: T) => void) => void,
): Promise<T> {
  if (connection.broken) return connection.dead;
  const request = new Promise<T>((resolve, reject) => {
    invoke(connection.sftp, (error, value) => {
      if (error !== undefined && error !== null) reject(error);
      else resolve(value);
    });
  });
  return Promise.race([request, connection.dead]);
}

export type Conn = PooledSftp;
const done = (cb: (error: Error | null | undefined, value: undefined) => void) => (error?: Error | null) =>
  cb(error, undefined);
export const sftpOpen = (c: Conn, path: string, flags: "r" | "wx") =>
  call<Buffer>(c, (sftp, cb) => sftp.open(path, flags, cb));
export const sftpClose = (c: Conn, handle: Buffer) =>
  call<void>(c, (sftp, cb) => sftp.close(handle, done(cb)));
export const sftpStat = (c: Conn, path: string) => call<Stats>(c, (sftp, cb) => sftp.stat(path, cb));
export const sftpFstat = (c: Conn, handle: Buffer) => call<Stats>(c, (sftp, cb) => sftp.fstat(handle, cb));
export const sftpUnlink = (c: Conn, path: string) => call<void>(c, (sftp, cb) => sftp.unlink(path, done(cb)));
export const sftpMkdir = (c: Conn, path: string) => call<void>(c, (sftp, cb) => sftp.mkdir(path, done(cb)));
export const sftpRename = (c: Conn, from: string, to: string) =>
  call<void>(c, (sftp, cb) => sftp.rename(from, to, done(cb)));
export const sftpPosixRename = (c: Conn, from: string, to: string) =>
  call<void>(c, (sftp, cb) => sftp.ext_openssh_rename(from, to, done(cb)));
export const sftpFsync = (c: Conn, handle: Buffer) =>
  call<void>(c, (sftp, cb) => sftp.ext_openssh_fsync(handle, done(cb)));
export interface StatvfsInfo {
  readonly f_bsize: number | bigint;
  readonly f_frsize: number | bigint;
  readonly f_bavail: number | bigint;
  readonly f_favail: number | bigint;
}
export const sftpStatvfs = (c: Conn, path: string) =>
  call<StatvfsInfo>(c, (sftp, cb) => sftp.ext_openssh_statvfs(path, cb));
export const sftpReaddir = (c: Conn, path: string) =>
  call<Array<{ filename: string; attrs: Stats }>>(c, (sftp, cb) => sftp.readdir(path, cb));
export const sftpWrite = (
  c: Conn,
  handle: Buffer,
  data: Buffer,
  offset: number,
  length: number,
  position: number,
) => call<void>(c, (sftp, cb) => sftp.write(handle, data, offset, length, position, done(cb)));
export const sftpRead = (
  c: Conn,
  handle: Buffer,
  into: Buffer,
  offset: number,
  length: number,
  position: number,
) =>
  call<number>(c, (sftp, cb) =>
    sftp.read(handle, into, offset, length, position, (e, bytesRead) => cb(e, bytesRead)),
  );

export function hasExtension(connection: Conn, name: string): boolean {
  // ssh2 keeps the server's advertised extensions here; there is no public accessor.
  const extensions = (connection.sftp as unknown as { _extensions?: Record<string, string> })._extensions;
  return extensions?.[name] !== undefined;
}

/** Runs `task(i)` for i in [0, count) with at most `limit` in flight; rejects on the first failure. */
async function pipelined(
  count: number,
  limit: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  const run = pLimit(limit);
  let failed = false;
  // After a failure the queued tasks return at once; every request already sent is waited for
  // before reporting, so no callback outlives the handle.
  const results = await Promise.allSettled(
    Array.from({ length: count }, (_, index) =>
      run(async () => {
        if (failed) return;
        try {
          await task(index);
        } catch (error) {
          failed = true;
          throw error;
        }
      }),
    ),
  );
  const rejected = results.find((result) => result.status === "rejected");
  if (rejected !== undefined) throw (rejected as PromiseRejectedResult).reason;
}

/** How a transfer is cut up: bytes per request and requests in flight. */
export interface Chunking {
  readonly chunkSize: number;
  readonly requestsInFlight: number;
}

/** Writes all of `body` through `handle` in pipelined chunks. */
export async function writeAll(
  sftp: Conn,
  handle: Buffer,
  body: Buffer,
  { chunkSize, requestsInFlight }: Chunking,
  signal?: AbortSignal,
): Promise<void> {
  const count = Math.ceil(body.length / chunkSize);
  await pipelined(count, requestsInFlight, async (index) => {
    signal?.throwIfAborted();
    const offset = index * chunkSize;
    await sftpWrite(sftp, handle, body, offset, Math.min(chunkSize, body.length - offset), offset);
  });
}

/** Reads `length` bytes from `start` in pipelined chunks; fewer when the file ends early. */
export async function readRange(
  sftp: Conn,
  handle: Buffer,
  start: number,
  length: number,
  { chunkSize, requestsInFlight }: Chunking,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const out = Buffer.alloc(length);
  const count = Math.ceil(length / chunkSize);
  let shortAt = length;
  await pipelined(count, requestsInFlight, async (index) => {
    signal?.throwIfAborted();
    let offset = index * chunkSize;
    const end = Math.min(offset + chunkSize, length);
    // A server may return fewer bytes than asked; keep reading until the chunk is full or EOF.
    while (offset < end) {
      let got: number;
      try {
        got = await sftpRead(sftp, handle, out, offset, end - offset, start + offset);
      } catch (error) {
        if (sftpStatus(error) === SftpStatus.EOF) got = 0;
        else throw error;
      }
      if (got === 0) {
        shortAt = Math.min(shortAt, offset);
        return;
      }
      offset += got;
    }
  });
  // The file was truncated under us (not by this package: saves rename whole files in).
  return shortAt < length ? out.subarray(0, shortAt) : out;
}
