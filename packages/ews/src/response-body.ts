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
 * declared or counted so far, and `body` empty.
 */
export async function readLimited(
  response: Dispatcher.ResponseData,
  limit: number,
): Promise<{ body: Buffer; tooLarge?: number }> {
  const declared = Number(response.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    response.body.destroy();
    return { body: Buffer.alloc(0), tooLarge: declared };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      response.body.destroy();
      return { body: Buffer.alloc(0), tooLarge: size };
    }
    chunks.push(chunk as Buffer);
  }
  return { body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks) };
}
