// A loopback server in front of another EWS server (mock-ews): it records every request (as
// canned-server does) and answers the operations `override` names itself, forwarding the rest.
// Lets a test make one operation look missing or refused while the others behave as served.
// Also the client the settings tests use against the mock.
import type { ServerResponse } from "node:http";
import type { MockEwsServer } from "@ewsvault/mock-ews";
import { createEwsClient, type EwsClient } from "../src/index.js";
import { type CannedRequest, type CannedServer, send, startCannedServer } from "./canned-server.js";

/** An answer for an operation, or undefined to forward it. */
export type Override = (request: CannedRequest) => { status: number; body: string } | undefined;

const HOP_BY_HOP = new Set(["host", "content-length", "connection", "keep-alive", "transfer-encoding"]);

export function startForwardingServer(upstreamUrl: string, override: Override): Promise<CannedServer> {
  return startCannedServer(async (request: CannedRequest, res: ServerResponse) => {
    const answer = override(request);
    if (answer !== undefined) {
      send(res, answer.status, answer.body);
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(request.headers))
      if (typeof v === "string" && !HOP_BY_HOP.has(k)) headers[k] = v;
    try {
      const upstream = await fetch(upstreamUrl, { method: "POST", headers, body: request.body });
      res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "text/xml" });
      res.end(Buffer.from(await upstream.arrayBuffer()));
    } catch (error) {
      send(res, 502, String(error));
    }
  });
}

/** The operation element of a recorded request (the child of soap:Body, namespaces declared on it). */
export function operationElement(request: CannedRequest): string {
  const match = /<soap:Body>([\s\S]*)<\/soap:Body>/.exec(request.body);
  if (match?.[1] === undefined) throw new Error(`request ${request.n} has no soap:Body`);
  return match[1];
}

/** A client of a mock-ews server's account (Basic over loopback http), optionally through another URL. */
export function mockClient(mock: MockEwsServer, url: string = mock.url): EwsClient {
  return createEwsClient({
    url,
    allowInsecureAuth: true,
    auth: { kind: "basic", ...mock.credentials },
    retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
  });
}
