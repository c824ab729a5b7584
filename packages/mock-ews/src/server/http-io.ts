// Reading a request body under the size limit and writing a response the way the mock's knobs
// shape it: IIS's headers, an optional bandwidth limit, and the `reset` / `truncate` faults that
// cut a response half way.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The request body, or "too-large" as soon as it (or its Content-Length) passes `maxRequestBytes`. */
export async function readBody(req: IncomingMessage, maxRequestBytes: number): Promise<Buffer | "too-large"> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > maxRequestBytes) return "too-large";
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxRequestBytes) return "too-large";
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** How responses are written: bytes per second per connection, 0 for unlimited. */
export interface ResponseShaping {
  readonly bandwidth: number;
}

/**
 * Writes an XML response with IIS's headers. `cut` sends half the body, then resets the
 * connection (`reset`, TCP RST) or closes it (`truncate`, Content-Length promising more).
 */
export async function send(
  shaping: ResponseShaping,
  res: ServerResponse,
  status: number,
  body: string | readonly (string | Uint8Array)[],
  extraHeaders: Record<string, string> = {},
  cut?: "reset" | "truncate",
): Promise<void> {
  const pieces =
    typeof body === "string"
      ? [Buffer.from(body, "utf8")]
      : body.map((part) => (typeof part === "string" ? Buffer.from(part, "utf8") : part));
  const length = pieces.reduce((n, piece) => n + piece.length, 0);
  res.writeHead(status, {
    "Content-Type": "text/xml; charset=utf-8",
    "Content-Length": String(length),
    Server: "Microsoft-IIS/10.0",
    "X-Powered-By": "ASP.NET",
    ...extraHeaders,
  });
  if (cut === undefined && shaping.bandwidth <= 0 && pieces.length > 1) {
    // The pieces go out as they are (one writev), never joined into one buffer.
    res.cork();
    const written = pieces.map((piece) => new Promise<void>((resolve) => res.write(piece, () => resolve())));
    res.uncork();
    await Promise.all(written);
    res.end();
    return;
  }
  const bytes = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
  const limit = cut === undefined ? bytes.length : Math.floor(bytes.length / 2);
  const socket = res.socket as Socket | null;
  const bandwidth = shaping.bandwidth;
  if (bandwidth > 0) {
    const chunk = Math.max(1, Math.floor(bandwidth / 20));
    for (let offset = 0; offset < limit; offset += chunk) {
      if (res.destroyed) return;
      res.write(bytes.subarray(offset, Math.min(limit, offset + chunk)));
      await sleep(Math.ceil((Math.min(chunk, limit - offset) / bandwidth) * 1000));
    }
  } else if (limit > 0) {
    await new Promise<void>((resolve) => res.write(bytes.subarray(0, limit), () => resolve()));
  }
  if (cut === "reset") {
    socket?.resetAndDestroy();
    return;
  }
  if (cut === "truncate") {
    socket?.destroySoon();
    return;
  }
  res.end();
}
