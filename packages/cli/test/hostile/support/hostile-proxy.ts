// A hostile EWS server for tests: an HTTPS proxy in front of the mock EWS server that passes
// every request through and rewrites the answers of chosen SOAP operations the way a broken or
// malicious server (or a man in the middle the user trusted) would. Each rewrite is a plain
// function of the upstream answer, so a test names exactly the failure it produces; the
// catalogue below covers the cases of issue 11 (endless paging, repeated pages, one bad item,
// DTDs, entity bombs, deep nesting, garbage, wrong response counts, duplicate ids).
//
// HTTPS so that the client's credentials never cross plain HTTP, even on loopback: clients
// reach it with their TLS verification explicitly turned off (--insecure-tls), which is the
// honest setting for a self-signed test certificate.
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";

/** What a rewrite sees of one exchange. */
export interface HostileExchange {
  /** SOAP operation of the request (first element of the SOAP Body, without prefix). */
  readonly operation: string;
  /** 1-based count of requests of this operation so far, this one included. */
  readonly nth: number;
  readonly requestBody: string;
  readonly status: number;
}

/**
 * A body too large to build in memory: `head`, then `fill` repeated until `bytes` bytes of it
 * were sent, then `tail`; sent chunked (no Content-Length), so only the client's own limit stops it.
 */
export interface StreamedBody {
  readonly head: string;
  readonly fill: string;
  readonly bytes: number;
  readonly tail: string;
}

/** Returns the body to send instead of the upstream one (a string is sent as UTF-8). */
export type Rewrite = (body: string, exchange: HostileExchange) => string | Buffer | StreamedBody;

function isStreamed(out: string | Buffer | StreamedBody): out is StreamedBody {
  return typeof out === "object" && !Buffer.isBuffer(out);
}

/** Writes a StreamedBody, respecting back-pressure; stops quietly when the client hangs up. */
async function sendStreamed(res: import("node:http").ServerResponse, out: StreamedBody): Promise<void> {
  const fill = Buffer.from(out.fill.repeat(Math.max(1, Math.floor((1024 * 1024) / out.fill.length))));
  res.write(out.head);
  for (let sent = 0; sent < out.bytes && !res.destroyed; sent += fill.length) {
    if (!res.write(fill)) await new Promise((resolve) => res.once("drain", resolve).once("close", resolve));
  }
  if (!res.destroyed) res.end(out.tail);
}

export interface HostileProxyOptions {
  /** The real (mock) server's EWS URL, http:. */
  readonly upstream: string;
  /**
   * Operation name -> rewrite of its successful (HTTP 200) answers. Read on every request, so a
   * test may add or delete entries between runs (e.g. to let a second backup through unharmed).
   */
  readonly rewrites: Readonly<Record<string, Rewrite>>;
  /** PEM certificate and key the proxy serves (testkit selfSignedCert). */
  readonly tls: { readonly cert: string; readonly key: string };
}

export interface HostileProxy {
  /** https URL of the proxy's EWS endpoint. */
  readonly url: string;
  /** Requests seen per operation. */
  requests(): Record<string, number>;
  /** Largest body the proxy sent, in bytes. */
  largestResponse(): number;
  stop(): Promise<void>;
}

function operationOf(body: string): string {
  const match = /<(?:[\w-]+:)?Body[^>]*>\s*<(?:[\w-]+:)?([A-Za-z]+)/.exec(body);
  return match?.[1] ?? "unknown";
}

export async function startHostileProxy(options: HostileProxyOptions): Promise<HostileProxy> {
  const upstream = new URL(options.upstream);
  const counts: Record<string, number> = {};
  let largest = 0;
  const server: Server = createServer({ cert: options.tls.cert, key: options.tls.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const requestBody = Buffer.concat(chunks);
      const text = requestBody.toString("utf8");
      const operation = operationOf(text);
      const nth = (counts[operation] ?? 0) + 1;
      counts[operation] = nth;
      const headers: IncomingHttpHeaders = { ...req.headers, host: upstream.host };
      delete headers["content-length"];
      const forward = httpRequest(
        upstream,
        { method: req.method, headers: { ...headers, "content-length": String(requestBody.length) } },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on("data", (chunk: Buffer) => parts.push(chunk));
          answer.on("end", () => {
            let body: Buffer = Buffer.concat(parts);
            const status = answer.statusCode ?? 502;
            const rewrite = options.rewrites[operation];
            if (rewrite !== undefined && status === 200) {
              const out = rewrite(body.toString("utf8"), { operation, nth, requestBody: text, status });
              if (isStreamed(out)) {
                largest = Math.max(largest, out.bytes);
                const streamHeaders = { ...answer.headers };
                delete streamHeaders["content-length"];
                res.writeHead(status, streamHeaders);
                sendStreamed(res, out).catch(() => res.destroy());
                return;
              }
              body = typeof out === "string" ? Buffer.from(out, "utf8") : out;
            }
            largest = Math.max(largest, body.length);
            const outHeaders = { ...answer.headers, "content-length": String(body.length) };
            delete outHeaders["transfer-encoding"];
            res.writeHead(status, outHeaders);
            res.end(body);
          });
          answer.on("error", () => res.destroy());
        },
      );
      forward.on("error", () => res.destroy());
      forward.end(requestBody);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}${upstream.pathname}`,
    requests: () => ({ ...counts }),
    largestResponse: () => largest,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ---- the catalogue -------------------------------------------------------------------------

/**
 * Every IncludesLastItemInRange / IncludesLastFolderInRange (elements of the Sync operations,
 * attributes of FindItem/FindFolder's RootFolder) says "false": paging never ends.
 */
export const neverLast = (body: string): string =>
  body
    .replace(/(<(?:[\w-]+:)?IncludesLast(?:Item|Folder)InRange>)\s*(?:true|1)\s*(<)/g, "$1false$2")
    .replace(/(\sIncludesLastItemInRange=")(?:true|1)(")/g, "$1false$2");

/**
 * Answers every request for one folder with the first answer it saw for that folder, marked not
 * last: the same ids and the same sync state again and again.
 */
export function repeatFirstPage(): Rewrite {
  const first = new Map<string, string>();
  return (body, exchange) => {
    const folder =
      /<(?:[\w-]+:)?(?:FolderId|DistinguishedFolderId) Id="([^"]+)"/.exec(exchange.requestBody)?.[1] ?? "";
    if (!first.has(folder)) first.set(folder, body);
    return neverLast(first.get(folder) as string);
  };
}

/** Removes TotalItemsInView from FindItem/FindFolder answers (a server that does not say). */
export const withoutTotals = (body: string): string => body.replace(/\sTotalItemsInView="\d+"/g, "");

/**
 * Puts characters no base64 alphabet has into the middle of the `index`-th Data element (0-based)
 * of the first ExportItems answer that has one (`once`), or of every such answer.
 */
export function corruptBase64(index = 0, once = true): Rewrite {
  let done = false;
  return (body) => {
    if (once && done) return body;
    let seen = -1;
    return body.replace(
      /(<(?:[\w-]+:)?Data>)([^<]*)(<\/)/g,
      (all, open: string, text: string, close: string) => {
        seen++;
        if (seen !== index || text.length < 8) return all;
        done = true;
        const middle = text.length >> 1;
        return `${open}${text.slice(0, middle)}!*%${text.slice(middle)}${close}`;
      },
    );
  };
}

/** A DOCTYPE with a billion-laughs entity bomb before the envelope. */
export const entityBomb: Rewrite = (body) => {
  const levels = ['<!ENTITY a0 "lollollollollollollollollollol">'];
  for (let i = 1; i < 10; i++) levels.push(`<!ENTITY a${i} "${`&a${i - 1};`.repeat(10)}">`);
  const doctype = `<!DOCTYPE Envelope [${levels.join("")}]>`;
  return body
    .replace(/^(<\?xml[^>]*\?>)?/, (decl) => `${decl ?? ""}${doctype}`)
    .replace(/(<(?:[\w-]+:)?Subject>)/, "$1&a9;");
};

/** An external entity (XXE) pointing at a local file. */
export const externalEntity: Rewrite = (body) =>
  body
    .replace(
      /^(<\?xml[^>]*\?>)?/,
      (decl) => `${decl ?? ""}<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>`,
    )
    .replace(/(<(?:[\w-]+:)?Subject>)/, "$1&xxe;");

/** `depth` nested elements inside the first response message. */
export function deepNesting(depth = 200_000): Rewrite {
  return (body) =>
    body.replace(/(<(?:[\w-]+:)?ResponseCode>)/, `${"<t:x>".repeat(depth)}${"</t:x>".repeat(depth)}$1`);
}

/** Random bytes instead of XML. */
export const garbage: Rewrite = () => {
  const bytes = Buffer.alloc(4096);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 251;
  return bytes;
};

/** Leaves out the last response message of a response with several (wrong response count). */
export const dropLastMessage: Rewrite = (body) => {
  const close = /<\/(?:[\w-]+:)?\w+ResponseMessage>/g;
  let last: RegExpExecArray | undefined;
  let previousEnd = -1;
  for (let m = close.exec(body); m !== null; m = close.exec(body)) {
    if (last !== undefined) previousEnd = last.index + last[0].length;
    last = m;
  }
  if (last === undefined || previousEnd < 0) return body;
  return body.slice(0, previousEnd) + body.slice(last.index + last[0].length);
};

/**
 * The answer with `bytes` of padding in it (inside the first ResponseMessages element), streamed:
 * a response-size limit must stop reading it long before it ends.
 */
export function hugeBody(bytes: number): Rewrite {
  return (body) => {
    const at = body.search(/<(?:[\w-]+:)?ResponseMessages>/);
    const cut = at < 0 ? body.length : body.indexOf(">", at) + 1;
    return { head: body.slice(0, cut), fill: "<t:x>padding</t:x>", bytes, tail: body.slice(cut) };
  };
}

/** Every Create change of a SyncFolderItems answer twice (duplicate ids on one page). */
export const duplicateChanges: Rewrite = (body) =>
  body.replace(/<(?:[\w-]+:)?Create>[\s\S]*?<\/(?:[\w-]+:)?Create>/g, (change) => change + change);
