// Unit tests of the admin modules that need no server: which discovered mailboxes a backup
// takes (kinds, include and exclude globs), and the progress view (fits the terminal, redraws
// in place on a TTY, periodic plain lines otherwise).
import { PassThrough } from "node:stream";
import type { MailboxProgress } from "@ewsvault/core";
import type { DiscoveryResult } from "@ewsvault/ews";
import { describe, expect, it } from "vitest";
import { resolveMailboxes } from "../src/mailbox-list.js";
import { createBackupProgress, formatOverall, renderLines } from "../src/progress.js";

const book: DiscoveryResult = {
  method: "FindPeople",
  requests: 1,
  mailboxes: [
    { smtpAddress: "ann@contoso.test", displayName: "Ann", kind: "user" },
    { smtpAddress: "bob@contoso.test", displayName: "Bob", kind: "user" },
    { smtpAddress: "support@contoso.test", displayName: "Support", kind: "shared" },
    { smtpAddress: "room-orion@contoso.test", displayName: "Orion", kind: "room" },
    { smtpAddress: "projector@contoso.test", displayName: "Projector", kind: "equipment" },
  ],
};
const discover = async () => book;

describe("resolveMailboxes", () => {
  it("takes people's mailboxes by default; rooms and equipment only when asked", async () => {
    expect((await resolveMailboxes({ allMailboxes: true }, {}, discover)).mailboxes).toEqual([
      "ann@contoso.test",
      "bob@contoso.test",
      "support@contoso.test",
    ]);
    expect(
      (await resolveMailboxes({ allMailboxes: true, mailboxKind: ["room,equipment"] }, {}, discover))
        .mailboxes,
    ).toEqual(["room-orion@contoso.test", "projector@contoso.test"]);
    expect(
      (
        await resolveMailboxes(
          {},
          { mailboxes: ["*"], mailboxKinds: ["user"], excludeMailboxes: ["b*"] },
          discover,
        )
      ).mailboxes,
    ).toEqual(["ann@contoso.test"]);
    expect(
      (
        await resolveMailboxes(
          { allMailboxes: true, includeMailbox: ["*@contoso.test"], mailbox: ["x@y.z"] },
          {},
          discover,
        )
      ).mailboxes,
    ).toEqual(["x@y.z", "ann@contoso.test", "bob@contoso.test", "support@contoso.test"]);
  });

  it("an unknown kind is a usage error, an empty result NOTHING_MATCHED, no mailbox at all MAILBOX_REQUIRED", async () => {
    await expect(
      resolveMailboxes({ allMailboxes: true, mailboxKind: ["robot"] }, {}, discover),
    ).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      exitCode: 2,
    });
    await expect(
      resolveMailboxes({ allMailboxes: true, excludeMailbox: ["*"] }, {}, discover),
    ).rejects.toMatchObject({ code: "NOTHING_MATCHED", exitCode: 1 });
    await expect(resolveMailboxes({}, {}, discover)).rejects.toMatchObject({ code: "MAILBOX_REQUIRED" });
  });
});

const progress = (mailbox: string, itemsDone: number, itemsTotal: number): MailboxProgress => ({
  mailbox,
  foldersDone: 1,
  foldersTotal: 4,
  itemsDone,
  itemsTotal,
  itemsUnchanged: 0,
  bytesRead: itemsDone * 1024,
  bytesNew: 0,
  bytesDeduplicated: 0,
  errors: 0,
});

describe("backup progress", () => {
  it("one overall line with mailboxes, items, bytes, rate and ETA", () => {
    const active = new Map([["a@x.test", progress("a@x.test", 50, 100)]]);
    const line = formatOverall(
      { mailboxes: 3, done: 1, active, finishedItems: 50, finishedBytes: 51200, startedAt: 0 },
      10_000,
    );
    expect(line).toBe("1/3 mailboxes, 100/150 items, 100.0 KiB read, 10.0 KiB/s, ETA 5s+");
  });

  it("shows as many mailbox lines as fit the terminal, each within its width", () => {
    const active = new Map(
      Array.from({ length: 30 }, (_, i) => [
        `m${i}`,
        progress(`mailbox-${i}-with-a-long-name@contoso.test`, i, 100),
      ]),
    );
    const lines = renderLines(
      { mailboxes: 40, done: 0, active, finishedItems: 0, finishedBytes: 0, startedAt: 0 },
      1000,
      50,
      10,
    );
    expect(lines.length).toBeLessThanOrEqual(9);
    expect(lines.at(-1)).toMatch(/and 23 more mailboxes/);
    for (const line of lines) expect(line.length).toBeLessThan(50);
  });

  it("redraws in place on a TTY and keeps log lines; prints periodic plain lines without one", async () => {
    const tty = Object.assign(new PassThrough(), { isTTY: true, columns: 80, rows: 20 });
    let written = "";
    tty.on("data", (chunk: Buffer) => {
      written += chunk.toString();
    });
    const view = createBackupProgress({
      mailboxes: 2,
      mode: "tty",
      stream: tty as unknown as NodeJS.WriteStream,
    });
    view.onEvent({ type: "progress", progress: progress("a@x.test", 5, 10) });
    await new Promise((resolve) => setTimeout(resolve, 400));
    view.onEvent({ type: "progress", progress: progress("a@x.test", 9, 10) });
    view.log("a@x.test: completed");
    await new Promise((resolve) => setTimeout(resolve, 400));
    view.finish();
    expect(written).toContain("0/2 mailboxes");
    expect(written).toContain("a@x.test: completed");
    expect(written).toMatch(/\u001b\[\d*A|\u001b\[2K/); // cursor up / erase line: redrawn in place

    const plain = new PassThrough();
    let lines = "";
    plain.on("data", (chunk: Buffer) => {
      lines += chunk.toString();
    });
    const periodic = createBackupProgress({
      mailboxes: 1,
      mode: "plain",
      stream: plain as unknown as NodeJS.WriteStream,
      intervalMs: 50,
    });
    periodic.onEvent({ type: "progress", progress: progress("a@x.test", 3, 10) });
    await new Promise((resolve) => setTimeout(resolve, 180));
    periodic.finish();
    expect(
      lines.split("\n").filter((l) => l.startsWith("progress: 0/1 mailboxes, 3/10 items")).length,
    ).toBeGreaterThanOrEqual(2);
    expect(lines).not.toContain("\u001b[");
  });
});
