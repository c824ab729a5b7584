import { createMemoryDestination } from "@ewsvault/destination";
import { describeDestinationConformance } from "@ewsvault/destination/testing";

describeDestinationConformance("memory", { create: async () => createMemoryDestination() });

// The suite adapts to capabilities instead of skipping: run it once with the weakest ones, and
// a real listing lag so the polling for eventually consistent listings is exercised.
describeDestinationConformance("memory, weakest capabilities", {
  create: async () =>
    createMemoryDestination({
      capabilities: {
        maxConnections: 1,
        atomicReplace: false,
        rangedReads: false,
        listAfterWriteConsistent: false,
      },
      faults: { listLagMs: 100 },
    }),
});
