// A tiny loopback HTTP(S) server for transport tests: each request is answered by a handler
// that sees the attempt number, so tests can script 503 -> ErrorServerBusy -> success etc.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";

export interface CannedRequest {
  readonly n: number;
  readonly at: number;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
  readonly operation: string;
}

export type CannedHandler = (request: CannedRequest, res: ServerResponse) => void | Promise<void>;

export interface CannedServer {
  readonly url: string;
  readonly requests: CannedRequest[];
  /** Highest number of requests handled at the same time. */
  readonly peakConcurrency: () => number;
  /** TCP connections accepted so far (keep-alive reuses them). */
  readonly connections: () => number;
  stop(): Promise<void>;
}

export async function startCannedServer(
  handler: CannedHandler,
  tls?: { key: string; cert: string },
): Promise<CannedServer> {
  const requests: CannedRequest[] = [];
  let active = 0;
  let peak = 0;
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const operation = /<soap:Body><m:(\w+)/.exec(body)?.[1] ?? "";
      const request = { n: requests.length + 1, at: Date.now(), headers: req.headers, body, operation };
      requests.push(request);
      active++;
      peak = Math.max(peak, active);
      res.on("close", () => {
        active--;
      });
      Promise.resolve(handler(request, res)).catch((error) => {
        res.statusCode = 599;
        res.end(String(error));
      });
    });
  };
  const server = tls === undefined ? createHttpServer(listener) : createHttpsServer(tls, listener);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  let connections = 0;
  server.on(tls === undefined ? "connection" : "secureConnection", () => {
    connections++;
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls === undefined ? "http" : "https"}://127.0.0.1:${port}/EWS/Exchange.asmx`,
    requests,
    peakConcurrency: () => peak,
    connections: () => connections,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const ENVELOPE_START =
  '<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header><h:ServerVersionInfo MajorVersion="15" MinorVersion="20" MajorBuildNumber="1" MinorBuildNumber="1" Version="V2018_01_08" xmlns:h="http://schemas.microsoft.com/exchange/services/2006/types"/></s:Header><s:Body>';
const ENVELOPE_END = "</s:Body></s:Envelope>";
const NS =
  'xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"';

/** A successful or failed <m:{op}Response> with the given ResponseMessage inner XML strings. */
export function soapResponse(operation: string, messages: readonly string[]): string {
  return `${ENVELOPE_START}<m:${operation}Response ${NS}><m:ResponseMessages>${messages.join("")}</m:ResponseMessages></m:${operation}Response>${ENVELOPE_END}`;
}

export function okMessage(operation: string, inner = ""): string {
  return `<m:${operation}ResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>${inner}</m:${operation}ResponseMessage>`;
}

export function errorMessage(operation: string, code: string, backOffMs?: number): string {
  const xml =
    backOffMs === undefined
      ? ""
      : `<m:MessageXml><t:Value Name="BackOffMilliseconds">${backOffMs}</t:Value></m:MessageXml>`;
  return `<m:${operation}ResponseMessage ResponseClass="Error"><m:MessageText>${code} happened</m:MessageText><m:ResponseCode>${code}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>${xml}</m:${operation}ResponseMessage>`;
}

/** The SOAP fault Exchange sends (HTTP 500) for request-level errors such as ErrorServerBusy. */
export function soapFault(code: string, backOffMs?: number): string {
  const xml =
    backOffMs === undefined
      ? ""
      : `<t:MessageXml xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><t:Value Name="BackOffMilliseconds">${backOffMs}</t:Value></t:MessageXml>`;
  return `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:${code}</faultcode><faultstring xml:lang="en-US">${code} fault</faultstring><detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">${code}</e:ResponseCode><e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">${code} fault</e:Message>${xml}</detail></s:Fault></s:Body></s:Envelope>`;
}

export function send(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "text/xml; charset=utf-8", ...headers });
  res.end(body);
}

export const FOLDER_ID = "AAMkAGZvbGRlcg==";

export function syncFolderItemsOk(syncState = "state-1"): string {
  return soapResponse("SyncFolderItems", [
    okMessage(
      "SyncFolderItems",
      `<m:SyncState>${syncState}</m:SyncState><m:IncludesLastItemInRange>true</m:IncludesLastItemInRange><m:Changes><t:Create><t:Message><t:ItemId Id="item-1" ChangeKey="ck-1"/><t:Subject>Hello &amp; welcome</t:Subject><t:Size>1234</t:Size><t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x300b" PropertyType="Binary"/><t:Value>q83vEjRW</t:Value></t:ExtendedProperty></t:Message></t:Create><t:Delete><t:ItemId Id="item-0"/></t:Delete><t:ReadFlagChange><t:ItemId Id="item-2"/><t:IsRead>true</t:IsRead></t:ReadFlagChange></m:Changes>`,
    ),
  ]);
}
