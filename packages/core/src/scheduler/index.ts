// Scheduling primitives of the engine: mailbox x item concurrency is p-limit, and the byte
// budget below bounds item data in flight. Throttling itself is the source's concern (the EWS
// client's adaptive gate); the engine only keeps its promises bounded.
export { ByteBudget } from "./byte-budget.js";
