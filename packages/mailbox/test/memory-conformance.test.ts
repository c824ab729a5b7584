// The in-memory mailbox passes the mailbox conformance suite, with and without probeFolders.
import { MemoryExchange, runMailboxConformance } from "../src/testing/index.js";

function memory(probeFolders: boolean) {
  return async () => {
    const exchange = new MemoryExchange({ probeFolders });
    exchange.addMailbox("conformance@contoso.test");
    return {
      source: exchange,
      target: exchange,
      mailbox: "conformance@contoso.test",
      fixture: exchange.fixture("conformance@contoso.test"),
    };
  };
}

runMailboxConformance({
  name: "MemoryExchange with probeFolders",
  create: memory(true),
  features: { target: true, probeFolders: true },
});

runMailboxConformance({
  name: "MemoryExchange without probeFolders",
  create: memory(false),
  features: { target: true, probeFolders: false },
});
