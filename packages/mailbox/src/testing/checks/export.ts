// Export: one result per requested id, byte-identical data for an unchanged item and different
// data after a change, a per-item failure (not a rejection) for an id of no item, buffers that
// are the caller's when the source declares handsOverItemBytes, and MIME.
import { expect } from "vitest";
import { isErrorCode } from "../../error-codes.js";
import { exportAll, exportedData, freshFolder, sameBytes, uniqueName } from "../helpers.js";
import type { MailboxCheck } from "./check.js";

export const exportChecks: readonly MailboxCheck[] = [
  {
    concern: "export",
    name: "yields one result per id; unchanged items export byte-identical, changed ones differ, gone ones fail per item",
    async run({ source, mailbox, fixture }) {
      const { folder } = await freshFolder({ source, mailbox, fixture }, "Exported");
      const stable = await fixture.addItem(folder, { subject: "stable", body: "the same every time" });
      const changing = await fixture.addItem(folder, { subject: "changing", body: "first version" });
      const gone = await fixture.addItem(folder, { subject: "gone", body: "deleted before export" });
      await fixture.deleteItem(gone);

      const first = await exportAll(source, mailbox, [stable, changing, gone]);
      expect([...first.keys()].sort(), "exactly one result per requested id").toEqual(
        [stable, changing, gone].sort(),
      );
      const goneResult = first.get(gone);
      expect(goneResult?.ok, "an id of no item is a failed result").toBe(false);
      if (goneResult?.ok === false) {
        expect(goneResult.error.disposition).toBe("skip");
        const { code } = goneResult.error;
        expect(
          isErrorCode(code) || /^Error[A-Za-z]+$/.test(code),
          `${code}: an ErrorCode or a ResponseCode`,
        ).toBe(true);
      }
      const stableBytes = exportedData(first, stable).slice();
      const changingBytes = exportedData(first, changing).slice();
      expect(stableBytes.length).toBeGreaterThan(0);

      await fixture.modifyItem(changing, { body: "second version, longer than the first" });
      const second = await exportAll(source, mailbox, [changing, stable]);
      expect(
        sameBytes(exportedData(second, stable), stableBytes),
        "an unchanged item exports byte-identical",
      ).toBe(true);
      expect(
        sameBytes(exportedData(second, changing), changingBytes),
        "a changed item exports different data",
      ).toBe(false);

      if (source.capabilities.handsOverItemBytes === true) {
        // The capability lets the engine move exported buffers that span their whole ArrayBuffer
        // to worker threads (detaching them): the source must keep no reference a later export reads.
        const handed = exportedData(await exportAll(source, mailbox, [stable]), stable);
        const { buffer } = handed;
        if (
          buffer instanceof ArrayBuffer &&
          handed.byteOffset === 0 &&
          handed.byteLength === buffer.byteLength
        ) {
          structuredClone(buffer, { transfer: [buffer] });
          const after = exportedData(await exportAll(source, mailbox, [stable]), stable);
          expect(sameBytes(after, stableBytes), "an export after a handed-over buffer was detached").toBe(
            true,
          );
        }
      }
    },
  },
  {
    concern: "export",
    name: "getMimeContent returns the item's RFC 822 message",
    async run({ source, mailbox, fixture }) {
      const { folder } = await freshFolder({ source, mailbox, fixture }, "Mime");
      const subject = uniqueName("MIME subject");
      const item = await fixture.addItem(folder, { subject, body: "plain body" });
      const mime = new TextDecoder().decode(await source.getMimeContent(mailbox, item));
      expect(mime).toMatch(/^Subject:/im);
      expect(mime).toContain(subject);
    },
  },
];
