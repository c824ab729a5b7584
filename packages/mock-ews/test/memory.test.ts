// A 10,000-item mailbox walked end to end (SyncFolderItems over every folder, Default shape, so
// every item is regenerated and rendered) keeps the server process under 300 MiB RSS.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { startBin } from "./bin-helper.js";
import { basicAuth, bodyOf, envelope, ids, impersonate, postRaw } from "./helpers.js";

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
  if (hwm === null) throw new Error("no VmHWM in /proc status");
  return Number(hwm[1]) / 1024;
}

describe("memory", () => {
  it("serves a 10,000-item mailbox under 300 MiB RSS", { timeout: 120_000 }, async () => {
    const bin = await startBin(["--port", "0", "--seed", "21", "--mailboxes", "1", "--items", "10000"]);
    try {
      const { info } = bin;
      const call = async (body: string) => {
        const result = await postRaw(info.url, envelope(body, impersonate(info.mailboxes[0]!)), {
          authorization: basicAuth(info.username, info.password),
        });
        expect(result.status).toBe(200);
        return result.text;
      };
      const folders = ids(
        await call(
          `<m:FindFolder Traversal="Deep"><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:ParentFolderIds><t:DistinguishedFolderId Id="msgfolderroot"/></m:ParentFolderIds></m:FindFolder>`,
        ),
        "FolderId",
      );
      let seen = 0;
      for (const folder of folders) {
        let state = "";
        for (;;) {
          const text = await call(
            `<m:SyncFolderItems><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:SyncFolderId><t:FolderId Id="${folder}"/></m:SyncFolderId>${state === "" ? "" : `<m:SyncState>${state}</m:SyncState>`}<m:MaxChangesReturned>512</m:MaxChangesReturned></m:SyncFolderItems>`,
          );
          seen += (bodyOf(text).match(/<t:Create>/g) ?? []).length;
          state = /<m:SyncState>([^<]*)</.exec(text)![1]!;
          if (text.includes("<m:IncludesLastItemInRange>true<")) break;
        }
      }
      expect(seen).toBe(10_000);
      const peak = peakRssMiB(bin.child.pid!);
      console.log(`mock-ews peak RSS after walking 10,000 items: ${peak.toFixed(1)} MiB`);
      expect(peak).toBeLessThan(300);
    } finally {
      expect(await bin.stop()).toBe(0);
    }
  });
});
