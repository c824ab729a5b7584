// Answers no parser may trust: DTDs and entity bombs, an external entity, deep nesting, garbage,
// a wrong number of response messages and duplicate ids. Each ends with its stable code (or, for
// duplicates, a correct snapshot), bounded memory and nothing written outside the repository and
// the cache; the repository verifies clean afterwards.
import { afterEach, describe, expect, it } from "vitest";
import { expectContained, onlyMailbox } from "./support/expectations.js";
import { type HostileCase, MAILBOX_ITEMS, startHostileCase } from "./support/harness.js";
import {
  deepNesting,
  dropLastMessage,
  duplicateChanges,
  entityBomb,
  externalEntity,
  garbage,
  hugeBody,
  type Rewrite,
} from "./support/hostile-proxy.js";

let hostile: HostileCase | undefined;
afterEach(async () => {
  await hostile?.stop();
  hostile = undefined;
});

const refused: Array<[string, Record<string, Rewrite>]> = [
  ["a billion-laughs entity bomb", { SyncFolderItems: entityBomb }],
  ["an external entity naming a local file", { SyncFolderItems: externalEntity }],
  ["100,000 nested elements", { SyncFolderItems: deepNesting(100_000) }],
  ["bytes that are not XML", { ExportItems: garbage }],
  ["one response message fewer than items asked for", { ExportItems: dropLastMessage }],
];

describe("hostile XML", { timeout: 120_000 }, () => {
  it.each(refused)(
    "%s: the mailbox fails with EWS_MALFORMED_RESPONSE, memory bounded, repository clean",
    async (_name, rewrites) => {
      hostile = await startHostileCase(rewrites);
      const run = await hostile.backup();
      const mailbox = onlyMailbox(run);
      expect(mailbox.status).toBe("failed");
      expect(mailbox.error?.code).toBe("EWS_MALFORMED_RESPONSE");
      expect(run.stdout + run.stderr).not.toContain("root:x:0:0");
      await expectContained(run, hostile);
      const verify = await hostile.run(["verify"]);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    },
  );

  it("a 1 GiB SyncFolderHierarchy answer: EWS_RESPONSE_TOO_LARGE at the response limit, memory bounded, repository clean", async () => {
    hostile = await startHostileCase({ SyncFolderHierarchy: hugeBody(1024 ** 3) });
    const run = await hostile.backup();
    const mailbox = onlyMailbox(run);
    expect(mailbox.status).toBe("failed");
    expect(mailbox.error?.code).toBe("EWS_RESPONSE_TOO_LARGE");
    await expectContained(run, hostile);
    const verify = await hostile.run(["verify"]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });

  it("duplicate ids on one page: each item exported and stored once, the snapshot holds every item once", async () => {
    hostile = await startHostileCase({ SyncFolderItems: duplicateChanges });
    const run = await hostile.backup();
    const mailbox = onlyMailbox(run);
    expect(mailbox.status, JSON.stringify(mailbox.error)).toBe("completed");
    expect(mailbox.items).toBe(MAILBOX_ITEMS);
    expect(mailbox.itemsExported).toBe(MAILBOX_ITEMS);
    await expectContained(run, hostile);
  });
});
