// The ConcurrencyGate and RequestPacing contracts: the client's transport admits every request
// through whatever gate it is given, and AdaptiveConcurrencyGate paces through whatever
// RequestPacing it is given.
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, expect, it } from "vitest";
import {
  AdaptiveConcurrencyGate,
  type ConcurrencyGate,
  createEwsClient,
  type GateOutcome,
  type GateTicket,
  type RequestPacing,
} from "../src/index.js";

let server: MockEwsServer | undefined;
afterAll(async () => {
  await server?.stop();
});

it("sends every request through the ConcurrencyGate it is given", async () => {
  server = await startMockEwsServer({ seed: 4, mailboxes: 1, itemsPerMailbox: 2 });
  const inner = new AdaptiveConcurrencyGate({ max: 2 });
  const outcomes: GateOutcome[] = [];
  let acquired = 0;
  // A gate of our own: delegates, counting what the transport does with it.
  const gate: ConcurrencyGate = {
    max: inner.max,
    get inFlight() {
      return inner.inFlight;
    },
    acquire: async (signal) => {
      acquired++;
      return inner.acquire(signal);
    },
    sent: (ticket: GateTicket) => inner.sent(ticket),
    release: (outcome, ticket, signal) => {
      outcomes.push(outcome);
      inner.release(outcome, ticket, signal);
    },
    holdOff: (ms) => inner.holdOff(ms),
    snapshot: () => inner.snapshot(),
  };
  const client = createEwsClient({
    url: server.url,
    allowInsecureAuth: true,
    auth: { kind: "basic", ...server.credentials },
    gate,
  });
  try {
    const mailbox = server.mailboxes[0] as string;
    await Promise.all([client.syncFolderHierarchy(mailbox), client.syncFolderHierarchy(mailbox)]);
    expect(client.gate).toBe(gate);
    // Two calls, and whatever the client asks first (the server version): each admitted once
    // and released once, all answered.
    expect(acquired).toBeGreaterThanOrEqual(2);
    expect(outcomes).toHaveLength(acquired);
    expect(new Set(outcomes)).toEqual(new Set(["success"]));
    expect(gate.inFlight).toBe(0);
  } finally {
    await client.close();
  }
});

it("paces through the RequestPacing it is given", async () => {
  let taken = 0;
  const pacing: RequestPacing = {
    snapshot: () => ({ rate: 10, estimatedRate: undefined, refusals: 0, uncertainty: 1 }),
    learning: () => false,
    succeeded: () => {},
    // One request per 100 ms.
    delay: (now) => Math.max(0, next - now),
    take: (now) => {
      taken++;
      next = now + 100;
    },
    refused: () => {},
    budgetRefusal: () => {},
  };
  let next = 0;
  const gate = new AdaptiveConcurrencyGate({ max: 4, initial: 4, pacer: pacing });
  const started = Date.now();
  const tickets = await Promise.all([gate.acquire(), gate.acquire(), gate.acquire()]);
  expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  expect(taken).toBe(3);
  expect(gate.snapshot().pacer.rate).toBe(10);
  for (const ticket of tickets) gate.release("success", ticket);
});
