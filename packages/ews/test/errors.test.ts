// Per-item dispositions decide whether an item is retried, skipped (reported) or stops the
// mailbox: a throttling answer classified as "skip" would drop an item from the backup.
import { describe, expect, it } from "vitest";
import { errorCodeForResponseCode, isTransientResponseCode, itemErrorFor } from "../src/errors.js";

describe("EWS response code classification", () => {
  it("retries both kinds of throttling refusal, per item and per call", () => {
    for (const code of ["ErrorServerBusy", "ErrorExceededConnectionCount"]) {
      expect(isTransientResponseCode(code)).toBe(true);
      expect(errorCodeForResponseCode(code)).toBe("EWS_THROTTLED");
      expect(itemErrorFor(code, undefined)).toMatchObject({ code: "EWS_THROTTLED", disposition: "retry" });
    }
  });

  it("skips unreadable items, stops on mailbox-wide answers, retries moves in progress", () => {
    expect(itemErrorFor("ErrorItemNotFound", "gone").disposition).toBe("skip");
    expect(itemErrorFor("ErrorCorruptData", undefined).disposition).toBe("skip");
    expect(itemErrorFor("ErrorNonExistentMailbox", undefined)).toMatchObject({
      code: "EWS_MAILBOX_NOT_FOUND",
      disposition: "fatal",
    });
    expect(itemErrorFor("ErrorMailboxMoveInProgress", undefined).disposition).toBe("retry");
    expect(itemErrorFor("ErrorSomethingNew", undefined)).toMatchObject({
      code: "EWS_SERVER_ERROR",
      disposition: "skip",
    });
  });
});
