import { describe, expect, it } from "vitest";
import { MailboxSlots } from "../src/mailbox-slots.js";

describe("MailboxSlots", () => {
  it("lets `size` holders in at once, the next in first-come order as slots are released, once per release", async () => {
    const slots = new MailboxSlots(2);
    const order: string[] = [];
    const a = await slots.acquire();
    const b = await slots.acquire();
    const waitFor = async (name: string) => {
      const release = await slots.acquire();
      order.push(name);
      return release;
    };
    const c = waitFor("c");
    const d = waitFor("d");
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual([]);
    a();
    a(); // a second release of the same slot frees nothing more
    const releaseC = await c;
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual(["c"]);
    b();
    (await d)();
    releaseC();
    expect(order).toEqual(["c", "d"]);
    // All four released: two may go at once again, no more.
    const e = await slots.acquire();
    const f = await slots.acquire();
    let third = false;
    void slots.acquire().then(() => {
      third = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(third).toBe(false);
    e();
    f();
  });
});
