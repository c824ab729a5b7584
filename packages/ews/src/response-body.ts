// Reading an HTTP response body under a size limit, so that a hostile or broken server cannot
// make the client buffer more than maxResponseBytes: the limit is enforced while the body
// streams in, and the connection is dropped as soon as it is passed.
import type { Dispatcher } from "undici";

/**
 * Default response size limit. An ExportItems batch is planned to stay under maxExportBatchBytes
 * (16 MiB), except one large item that goes alone: Exchange refuses EWS messages over 64 MiB by
 * default (maxReceivedMessageSize), so no item exports to more than 64 MiB of base64 plus the
 * envelope. 128 MiB leaves room for that and for a server configured somewhat above the default.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 128 * 1024 * 1024;

/**
 * Reads a response body, stopping (and destroying the stream, so the connection is dropped) as
 * soon as it passes `limit` bytes: a declared Content-Length over the limit is refused before a
 * byte is read, and a missing or lying one is caught by counting. `tooLarge` is then the bytes
 * declared or counted so far, and `body` empty. Rejects with the stream's error (a reset
 * connection, an abort).
 *
 * With a Content-Length the bytes are copied into one buffer of that size as they arrive (no
 * list of chunks joined at the end: one copy of a multi-megabyte body less); without one, or
 * should more arrive than declared, the chunks are joined.
 */
export function readLimited(
  response: Dispatcher.ResponseData,
  limit: number,
): Promise<{ body: Buffer; tooLarge?: number }> {
  const declared = Number(response.headers["content-length"]);
  const stream = response.body;
  if (Number.isFinite(declared) && declared > limit) {
    stream.destroy();
    return Promise.resolve({ body: Buffer.alloc(0), tooLarge: declared });
  }
  // Settled before it was read (an error while headers were handed over): as `for await` would.
  if (stream.errored) return Promise.reject(stream.errored);
  return new Promise((resolve, reject) => {
    let whole = Number.isInteger(declared) && declared > 0 ? Buffer.allocUnsafe(declared) : undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = () => {
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("error", onError);
      stream.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      const at = size;
      size += chunk.length;
      if (size > limit) {
        finish();
        // Destroying makes undici's body emit an abort error: nobody waits for it any more.
        stream.on("error", () => {});
        stream.destroy();
        resolve({ body: Buffer.alloc(0), tooLarge: size });
      } else if (whole !== undefined && size <= whole.length) {
        chunk.copy(whole, at);
      } else {
        if (whole !== undefined) chunks.push(whole.subarray(0, at));
        whole = undefined;
        chunks.push(chunk);
      }
    };
    const onEnd = () => {
      finish();
      if (whole !== undefined) resolve({ body: size === whole.length ? whole : whole.subarray(0, size) });
      else resolve({ body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks) });
    };
    const onError = (error: unknown) => {
      finish();
      reject(error);
    };
    // Closed without an end or an error (destroyed quietly): the body is incomplete.
    const onClose = () => {
      finish();
      reject(Object.assign(new Error("response body closed before its end"), { code: "UND_ERR_SOCKET" }));
    };
    stream.on("data", onData);
    stream.once("end", onEnd);
    stream.once("error", onError);
    stream.once("close", onClose);
    if (stream.destroyed) onClose();
  });
}
