// A mock-ews server and an EWS client talking to it over HTTP, for engine tests that need a
// real source with every settings kind (MemoryExchange reads no settings).
import { createEwsClient, type EwsClient } from "@ewsvault/ews";
import { type MockEwsServer, type MockEwsServerOptions, startMockEwsServer } from "@ewsvault/mock-ews";

/** Retries are quick (a test of a failing server does not wait out real backoff). */
export async function startMockEwsClient(
  options: MockEwsServerOptions,
): Promise<{ server: MockEwsServer; client: EwsClient }> {
  const server = await startMockEwsServer(options);
  const client = createEwsClient({
    url: server.url,
    allowInsecureAuth: true,
    auth: { kind: "basic", ...server.credentials },
    retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
  });
  return { server, client };
}
