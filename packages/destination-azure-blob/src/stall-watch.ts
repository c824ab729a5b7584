// Client-side stall detection for the Azure SDK, which has none of its own: a request (or a
// listing page, or a download body) that moves no bytes and gets no answer for `stallMs` is
// aborted and reported as DEST_TRANSIENT, so a hung server or a silently dropped connection
// fails a call in seconds instead of blocking it forever.
import { DestinationError } from "@ewsvault/destination";

/**
 * Runs `call` with an AbortSignal that fires when the caller's signal does, or when `touch()`
 * has not been called for `stallMs` (a stalled request); the latter becomes DEST_TRANSIENT.
 */
export async function watched<T>(
  stallMs: number,
  what: string,
  userSignal: AbortSignal | undefined,
  call: (signal: AbortSignal, touch: () => void) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let stalled = false;
  let timer: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      controller.abort(new Error(`no progress for ${stallMs} ms`));
    }, stallMs);
  };
  const forward = () => controller.abort(userSignal?.reason);
  if (userSignal?.aborted === true) forward();
  userSignal?.addEventListener("abort", forward, { once: true });
  touch();
  try {
    return await call(controller.signal, touch);
  } catch (error) {
    if (stalled && userSignal?.aborted !== true) {
      throw new DestinationError("DEST_TRANSIENT", `azure blob ${what}: no progress for ${stallMs} ms`, {
        cause: error,
      });
    }
    throw error;
  } finally {
    clearTimeout(timer);
    userSignal?.removeEventListener("abort", forward);
  }
}

export async function readAll(
  stream: NodeJS.ReadableStream | undefined,
  expected: number,
  touch: () => void,
): Promise<Uint8Array> {
  if (stream === undefined) return new Uint8Array(0);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    touch();
    chunks.push(buffer);
    total += buffer.length;
  }
  const out = new Uint8Array(Math.max(total, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  if (expected >= 0 && total !== expected) {
    throw new DestinationError("DEST_TRANSIENT", `azure blob download: got ${total} of ${expected} bytes`);
  }
  return out;
}

/**
 * The pages of a listing, each fetch armed with its own stall timer that aborts `controller`
 * (whose signal the listing was started with). Only fetching counts: the time the caller spends
 * between items must not look like a stall.
 */
export async function* watchedPages<T>(
  stallMs: number,
  what: string,
  controller: AbortController,
  pages: AsyncIterator<T>,
): AsyncGenerator<T> {
  for (;;) {
    let stalled = false;
    const timer = setTimeout(() => {
      stalled = true;
      controller.abort(new Error(`no progress for ${stallMs} ms`));
    }, stallMs);
    let next: IteratorResult<T>;
    try {
      next = await pages.next();
    } catch (error) {
      if (!stalled) throw error;
      throw new DestinationError("DEST_TRANSIENT", `azure blob ${what}: no progress for ${stallMs} ms`);
    } finally {
      clearTimeout(timer);
    }
    if (next.done === true) return;
    yield next.value;
  }
}
