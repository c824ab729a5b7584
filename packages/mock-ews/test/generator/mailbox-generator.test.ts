import { deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { encodeExportStream } from "../../src/codec/index.js";
import { createMailboxGenerator } from "../../src/generator/index.js";
import type { MailboxGenerator, MockItemData } from "../../src/model.js";

const MB = 1024 * 1024;
const KB = 1024;

function allItems(gen: MailboxGenerator, mailboxes: number): { mailbox: number; item: MockItemData }[] {
  const out: { mailbox: number; item: MockItemData }[] = [];
  for (let m = 0; m < mailboxes; m++) {
    gen.folders(m).forEach((_, f) => {
      for (let i = 0; i < gen.itemCount(m, f); i++) out.push({ mailbox: m, item: gen.item(m, f, i) });
    });
  }
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

// One shared sample of 2,000 items (4 mailboxes x 500): the distribution tests read it.
const sampleGenerator = createMailboxGenerator({ seed: 2024, mailboxes: 4, itemsPerMailbox: 500 });
let sampleCache: { mailbox: number; item: MockItemData; bytes: number }[] | undefined;
function sample() {
  sampleCache ??= allItems(sampleGenerator, 4).map(({ mailbox, item }) => ({
    mailbox,
    item,
    bytes: encodeExportStream(item).length,
  }));
  return sampleCache;
}

describe("createMailboxGenerator: determinism and laziness", () => {
  it("gives identical mailboxes, folders, items and export bytes for the same seed", () => {
    const a = createMailboxGenerator({ seed: 99, mailboxes: 3, itemsPerMailbox: 60 });
    const b = createMailboxGenerator({ seed: 99, mailboxes: 3, itemsPerMailbox: 60 });
    expect(b.mailboxes()).toStrictEqual(a.mailboxes());
    expect(b.publicFolders()).toStrictEqual(a.publicFolders());
    for (let m = 0; m < 3; m++) {
      expect(b.folders(m)).toStrictEqual(a.folders(m));
      a.folders(m).forEach((_, f) => {
        expect(b.itemCount(m, f)).toBe(a.itemCount(m, f));
        // Items in reverse order on one side: nothing may depend on call order.
        for (let i = a.itemCount(m, f) - 1; i >= 0; i--) {
          expect(sameBytes(encodeExportStream(b.item(m, f, i)), encodeExportStream(a.item(m, f, i)))).toBe(
            true,
          );
        }
      });
    }
    a.publicFolders().forEach((_, f) => {
      for (let i = 0; i < a.publicItemCount(f); i++) {
        expect(
          sameBytes(encodeExportStream(b.publicItem(f, i)), encodeExportStream(a.publicItem(f, i))),
        ).toBe(true);
      }
    });
    // Recomputed on every call, not cached objects that a caller could mutate.
    expect(a.item(0, 0, 0)).not.toBe(a.item(0, 0, 0));
    expect(a.item(0, 0, 0)).toStrictEqual(a.item(0, 0, 0));
  });

  it("gives different mailboxes and items for a different seed", () => {
    const a = createMailboxGenerator({ seed: 1, mailboxes: 3, itemsPerMailbox: 50 });
    const b = createMailboxGenerator({ seed: 2, mailboxes: 3, itemsPerMailbox: 50 });
    expect(b.mailboxes()).not.toStrictEqual(a.mailboxes());
    const subjects = (g: MailboxGenerator) => Array.from({ length: 10 }, (_, i) => g.item(0, 0, i).subject);
    expect(subjects(b)).not.toStrictEqual(subjects(a));
    expect(sameBytes(encodeExportStream(a.item(0, 0, 0)), encodeExportStream(b.item(0, 0, 0)))).toBe(false);
  });

  it("is lazy: 50 mailboxes x 10,000 items cost nothing until asked, then any item is direct", () => {
    const started = performance.now();
    const gen = createMailboxGenerator({ seed: 5, mailboxes: 50, itemsPerMailbox: 10_000 });
    const inbox = gen.folders(49).findIndex((f) => f.distinguishedName === "inbox");
    const count = gen.itemCount(49, inbox);
    expect(count).toBeGreaterThan(1000);
    const item = gen.item(49, inbox, count - 1);
    expect(item.itemClass).toBe("IPM.Note");
    expect(performance.now() - started).toBeLessThan(2000);
    let total = 0;
    gen.folders(49).forEach((_, f) => {
      total += gen.itemCount(49, f);
    });
    expect(total).toBe(10_000);
  });

  it("MUST throw TypeError for bad options and out-of-range indices", () => {
    expect(() => createMailboxGenerator({ seed: 1.5, mailboxes: 1, itemsPerMailbox: 1 })).toThrow(TypeError);
    expect(() => createMailboxGenerator({ seed: 1, mailboxes: -1, itemsPerMailbox: 1 })).toThrow(TypeError);
    expect(() =>
      createMailboxGenerator({ seed: 1, mailboxes: 1, itemsPerMailbox: 1, maxItemBytes: 10 }),
    ).toThrow(TypeError);
    expect(() =>
      createMailboxGenerator({ seed: 1, mailboxes: 1, itemsPerMailbox: 1, domain: "bad domain" }),
    ).toThrow(TypeError);
    const gen = createMailboxGenerator({ seed: 1, mailboxes: 1, itemsPerMailbox: 10 });
    expect(() => gen.folders(1)).toThrow(TypeError);
    expect(() => gen.itemCount(0, 999)).toThrow(TypeError);
    expect(() => gen.item(0, 0, gen.itemCount(0, 0))).toThrow(TypeError);
    expect(() => gen.item(0, 0, -1)).toThrow(TypeError);
    expect(() => gen.publicItem(0, 10_000)).toThrow(TypeError);
  });
});

describe("createMailboxGenerator: mailboxes and folders", () => {
  it("has unique addresses in the domain and an archive on some mailboxes only", () => {
    const gen = createMailboxGenerator({
      seed: 8,
      mailboxes: 30,
      itemsPerMailbox: 0,
      domain: "fabrikam.test",
    });
    const specs = gen.mailboxes();
    expect(specs).toHaveLength(30);
    expect(new Set(specs.map((s) => s.smtpAddress)).size).toBe(30);
    for (const spec of specs) expect(spec.smtpAddress).toMatch(/^[a-z0-9.]+@fabrikam\.test$/);
    const archives = specs.filter((s) => s.hasArchive).length;
    expect(archives).toBeGreaterThan(0);
    expect(archives).toBeLessThan(30);
  });

  it("has every distinguished folder, Unicode nested folders, parents first and matching classes", () => {
    const gen = createMailboxGenerator({ seed: 8, mailboxes: 6, itemsPerMailbox: 600 });
    for (let m = 0; m < 6; m++) {
      const folders = gen.folders(m);
      const names = folders.map((f) => f.distinguishedName).filter((n) => n !== undefined);
      for (const name of [
        "inbox",
        "sentitems",
        "deleteditems",
        "drafts",
        "outbox",
        "junkemail",
        "calendar",
        "contacts",
        "tasks",
        "notes",
      ]) {
        expect(names).toContain(name);
      }
      const paths = folders.map((f) => f.path.join("/"));
      expect(new Set(paths).size).toBe(paths.length);
      folders.forEach((folder, index) => {
        if (folder.path.length > 1)
          expect(paths.slice(0, index)).toContain(folder.path.slice(0, -1).join("/"));
      });
      let total = 0;
      folders.forEach((folder, f) => {
        total += gen.itemCount(m, f);
        const expected = folder.folderClass.replace("IPF.", "IPM.");
        for (let i = 0; i < Math.min(gen.itemCount(m, f), m < 2 ? 6 : 0); i++) {
          const item = gen.item(m, f, i);
          if (folder.distinguishedName === "deleteditems") continue;
          expect(item.itemClass).toBe(expected);
        }
      });
      expect(total).toBe(600);
    }
    const allPaths = Array.from({ length: 6 }, (_, m) => gen.folders(m).map((f) => f.path)).flat();
    expect(Math.max(...allPaths.map((p) => p.length))).toBeGreaterThanOrEqual(3);
    const names = allPaths.flat();
    expect(names.some((n) => /[\u0590-\u05ff\u0600-\u06ff]/.test(n))).toBe(true);
    expect(names.some((n) => /\p{Extended_Pictographic}/u.test(n))).toBe(true);
    expect(allPaths.some((p) => p[0] === "Inbox" && p.length > 1)).toBe(true);
    expect(allPaths.some((p) => p.length > 1 && p[0] !== "Inbox" && p[0] !== "Sync Issues")).toBe(true);
  });

  it("shares a public folder tree holding posts and exactly publicFolderItems items", () => {
    const gen = createMailboxGenerator({ seed: 3, mailboxes: 1, itemsPerMailbox: 0, publicFolderItems: 40 });
    let total = 0;
    const classes = new Set<string>();
    gen.publicFolders().forEach((folder, f) => {
      total += gen.publicItemCount(f);
      for (let i = 0; i < gen.publicItemCount(f); i++) {
        const item = gen.publicItem(f, i);
        classes.add(item.itemClass);
        expect(item.itemClass).toBe(folder.folderClass.replace("IPF.", "IPM."));
      }
    });
    expect(total).toBe(40);
    expect(classes).toContain("IPM.Post");
    expect(createMailboxGenerator({ seed: 3, mailboxes: 0, itemsPerMailbox: 0 }).publicFolders().length).toBe(
      gen.publicFolders().length,
    );
    let defaultTotal = 0;
    const defaults = createMailboxGenerator({ seed: 3, mailboxes: 0, itemsPerMailbox: 0 });
    defaults.publicFolders().forEach((_, f) => {
      defaultTotal += defaults.publicItemCount(f);
    });
    expect(defaultTotal).toBe(20);
  });
});

describe("createMailboxGenerator: content of 2,000 items", () => {
  it("has a log-normal size: median 20-45 KB, a tail past 1 MB", () => {
    const sizes = sample()
      .map((s) => s.bytes)
      .sort((a, b) => a - b);
    expect(sizes).toHaveLength(2000);
    const median = sizes[1000]!;
    expect(median).toBeGreaterThanOrEqual(20 * KB);
    expect(median).toBeLessThanOrEqual(45 * KB);
    expect(sizes.filter((s) => s > MB).length).toBeGreaterThan(3);
    expect(sizes[0]!).toBeLessThan(5 * KB);
    console.log(
      `export size over 2,000 items: median ${(median / KB).toFixed(1)} KiB, p90 ${(sizes[1800]! / KB).toFixed(0)} KiB, ` +
        `max ${(sizes[1999]! / MB).toFixed(2)} MiB, over 1 MiB: ${sizes.filter((s) => s > MB).length}`,
    );
  });

  it("generates every item class, with recurrence, contact photos, inline images and big recipient lists", () => {
    const items = sample().map((s) => s.item);
    const classes = new Set(items.map((i) => i.itemClass));
    for (const c of ["IPM.Note", "IPM.Appointment", "IPM.Contact", "IPM.Task", "IPM.StickyNote"]) {
      expect(classes).toContain(c);
    }
    const recurrences = items.flatMap((i) => (i.calendar?.recurrence ? [i.calendar.recurrence] : []));
    expect(new Set(recurrences.map((r) => r.pattern)).size).toBe(4);
    for (const r of recurrences) {
      if (r.pattern === "Weekly") expect(r.daysOfWeek!.length).toBeGreaterThan(0);
      if (r.pattern === "AbsoluteYearly") expect(r.month).toBeDefined();
    }
    const photos = items.flatMap((i) => i.attachments.filter((a) => a.isContactPhoto));
    expect(photos.length).toBeGreaterThan(0);
    for (const photo of photos) expect(photo.contentType).toMatch(/^image\//);
    const inline = items.flatMap((i) => i.attachments.filter((a) => a.isInline));
    expect(inline.length).toBeGreaterThan(0);
    for (const item of items.filter((i) => i.attachments.some((a) => a.isInline))) {
      for (const a of item.attachments.filter((x) => x.isInline)) {
        expect(item.body.bodyType).toBe("HTML");
        expect(item.body.content).toContain(`cid:${a.contentId}`);
      }
    }
    const recipients = items.map((i) => i.toRecipients.length + i.ccRecipients.length);
    expect(Math.max(...recipients)).toBeGreaterThanOrEqual(50);
    expect(items.some((i) => i.body.bodyType === "HTML")).toBe(true);
    expect(items.some((i) => i.body.bodyType === "Text" && i.itemClass === "IPM.Note")).toBe(true);
    expect(items.some((i) => i.task?.status === "Completed" && i.task.percentComplete === 100)).toBe(true);
    for (const item of items) {
      expect(item.dateTimeSent).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      if (item.itemClass === "IPM.Note") expect(item.internetMessageId).toMatch(/^<[^<>@]+@[^<>@]+>$/);
    }
  });

  it("has Unicode, right-to-left and emoji subjects and mail-like, compressible bodies", () => {
    const items = sample().map((s) => s.item);
    const subjects = items.map((i) => i.subject);
    expect(subjects.some((s) => /[\u0600-\u06ff]/.test(s))).toBe(true);
    expect(subjects.some((s) => /[\u0590-\u05ff]/.test(s))).toBe(true);
    expect(subjects.some((s) => /\p{Extended_Pictographic}/u.test(s))).toBe(true);
    expect(subjects.some((s) => /[\u3040-\u30ff\u4e00-\u9fff]/.test(s))).toBe(true);
    expect(subjects.some((s) => s.startsWith("RE: "))).toBe(true);
    const html = items.find((i) => i.body.bodyType === "HTML" && i.body.content.length > 20_000)!;
    expect(html.body.content).toMatch(/^<html[\s\S]*<\/html>$/);
    const text = items.find(
      (i) => i.body.bodyType === "Text" && i.subject.startsWith("RE: ") && i.body.content.length > 5000,
    )!;
    expect(text.body.content).toContain("\n-- \n");
    expect(text.body.content).toContain("-----Original Message-----");
    const body = Buffer.from(html.body.content);
    expect(deflateSync(body).length / body.length).toBeLessThan(0.4);
  });

  it("draws attachments from a shared pool: same bytes recur across items and mailboxes", () => {
    const byName = new Map<string, { mailboxes: Set<number>; content: Uint8Array; items: number }>();
    for (const { mailbox, item } of sample()) {
      for (const a of item.attachments) {
        if (a.isContactPhoto) continue;
        const seen = byName.get(a.name);
        if (seen) {
          expect(sameBytes(seen.content, a.content)).toBe(true);
          seen.mailboxes.add(mailbox);
          seen.items++;
        } else {
          byName.set(a.name, { mailboxes: new Set([mailbox]), content: a.content, items: 1 });
        }
      }
    }
    const shared = [...byName.values()].filter((v) => v.mailboxes.size >= 2);
    expect(shared.length).toBeGreaterThan(3);
    // Another generator with the same seed makes the same pool files.
    const again = createMailboxGenerator({ seed: 2024, mailboxes: 4, itemsPerMailbox: 500 });
    const first = sample().find((s) => s.item.attachments.length > 0)!;
    const { mailbox } = first;
    const folders = again.folders(mailbox);
    let found = false;
    folders.forEach((_, f) => {
      for (let i = 0; i < again.itemCount(mailbox, f) && !found; i++) {
        const item = again.item(mailbox, f, i);
        if (item.subject === first.item.subject && item.attachments.length > 0) {
          expect(sameBytes(item.attachments[0]!.content, first.item.attachments[0]!.content)).toBe(true);
          found = true;
        }
      }
    });
    expect(found).toBe(true);
  });

  it("makes binary attachments incompressible and text/CSV ones compressible", () => {
    const files = new Map<string, { type: string; content: Uint8Array }>();
    for (const { item } of sample()) {
      for (const a of item.attachments) files.set(a.name, { type: a.contentType, content: a.content });
    }
    const ratio = (bytes: Uint8Array) =>
      deflateSync(bytes.subarray(0, 256 * KB)).length / Math.min(bytes.length, 256 * KB);
    const binary = [...files.values()].filter((f) => /pdf|jpeg|png|zip|openxml/.test(f.type));
    const text = [...files.values()].filter((f) => /^text\//.test(f.type) && f.content.length > 4 * KB);
    expect(binary.length).toBeGreaterThan(3);
    expect(text.length).toBeGreaterThan(0);
    for (const f of binary) expect(ratio(f.content)).toBeGreaterThan(0.95);
    for (const f of text) expect(ratio(f.content)).toBeLessThan(0.5);
    const pdf = binary.find((f) => f.type === "application/pdf")!;
    expect(Buffer.from(pdf.content.subarray(0, 5)).toString("latin1")).toBe("%PDF-");
  });

  it("caps the size tail at maxItemBytes, recipients and pictures included", () => {
    for (const cap of [16 * KB, 64 * KB, 300 * KB]) {
      const gen = createMailboxGenerator({
        seed: cap,
        mailboxes: 1,
        itemsPerMailbox: 400,
        maxItemBytes: cap,
      });
      const sizes = allItems(gen, 1).map(({ item }) => encodeExportStream(item).length);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(cap);
      expect(sizes.filter((s) => s > cap / 2).length).toBeGreaterThan(0);
    }
    expect(() =>
      createMailboxGenerator({ seed: 1, mailboxes: 1, itemsPerMailbox: 1, maxItemBytes: 16 * KB - 1 }),
    ).toThrow(TypeError);
  });

  it("generates fast (prints items/s and MiB/s of export data)", () => {
    // The sample's generator: its pool files are made already, as in a long-running server.
    const gen = sampleGenerator;
    sample();
    const keys: [number, number, number][] = [];
    for (let m = 0; m < 2; m++) {
      gen.folders(m).forEach((_, f) => {
        for (let i = 0; i < gen.itemCount(m, f); i++) keys.push([m, f, i]);
      });
    }
    // CPU time, not wall time: CI runners (and this workspace) share cores with other jobs.
    const cpuMs = () => {
      const usage = process.cpuUsage();
      return (usage.user + usage.system) / 1000;
    };
    let started = cpuMs();
    let bytes = 0;
    const medianKeys: [number, number, number][] = [];
    for (const [m, f, i] of keys) {
      const size = encodeExportStream(gen.item(m, f, i)).length;
      bytes += size;
      if (size > 24 * KB && size < 36 * KB) medianKeys.push([m, f, i]);
    }
    const seconds = (cpuMs() - started) / 1000;
    started = cpuMs();
    for (let round = 0; round < 3; round++) for (const [m, f, i] of medianKeys) gen.item(m, f, i);
    const medianMs = (cpuMs() - started) / medianKeys.length / 3;
    console.log(
      `generator (CPU time): ${(keys.length / seconds).toFixed(0)} items/s, ${(bytes / MB / seconds).toFixed(1)} MiB/s ` +
        `of export stream (generate + encode); a median (24-36 KiB) item takes ${medianMs.toFixed(3)} ms to generate`,
    );
    expect(medianKeys.length).toBeGreaterThan(20);
    // The brief: well under 1 ms per median item (about 0.15 ms of CPU on the development box).
    expect(medianMs).toBeLessThan(1);
  });
});
