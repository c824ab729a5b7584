// The client's byte budget is @ewsvault/mailbox's one ByteBudget; a waiter whose signal aborts
// is rejected with EWS_ABORTED, like every other wait inside the client.
import { ByteBudget as MailboxByteBudget } from "@ewsvault/mailbox";
import { ewsError } from "./errors.js";

export class ByteBudget extends MailboxByteBudget {
  constructor(capacity: number) {
    super(capacity, (signal) => ewsError("EWS_ABORTED", "aborted", { cause: signal.reason }));
  }
}
