// readLimited: the body comes back byte for byte whether or not a Content-Length was declared
// (with one, the chunks are copied into a buffer of that size as they arrive), the limit is
// enforced while reading, and a stream that fails or closes early rejects.
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import { describe, expect, it } from "vitest";
import { readLimited } from "../src/response-body.js";

function response(
  chunks: Buffer[],
  headers: Record<string, string> = {},
  fail?: Error,
): Dispatcher.ResponseData {
  const body = new Readable({
    read() {
      const next = chunks.shift();
      if (next !== undefined) this.push(next);
      else if (fail !== undefined) this.destroy(fail);
      else this.push(null);
    },
  });
  return { statusCode: 200, headers, body } as unknown as Dispatcher.ResponseData;
}

const pieces = (data: Buffer, size: number) =>
  Array.from({ length: Math.ceil(data.length / size) }, (_, i) => data.subarray(i * size, (i + 1) * size));

describe("readLimited", () => {
  const data = randomBytes(300_000);

  it("returns the same bytes with a declared length, without one, and when more arrive than declared", async () => {
    const declared = await readLimited(
      response(pieces(data, 7_001), { "content-length": String(data.length) }),
      1e6,
    );
    expect(declared.tooLarge).toBeUndefined();
    expect(declared.body.equals(data)).toBe(true);
    const chunked = await readLimited(response(pieces(data, 65_536)), 1e6);
    expect(chunked.body.equals(data)).toBe(true);
    const lying = await readLimited(response(pieces(data, 10_000), { "content-length": "50000" }), 1e6);
    expect(lying.body.equals(data)).toBe(true);
    const short = await readLimited(response(pieces(data, 10_000), { "content-length": "400000" }), 1e6);
    expect(short.body.equals(data)).toBe(true);
  });

  it("stops at the limit, declared or counted", async () => {
    const declared = await readLimited(
      response(pieces(data, 10_000), { "content-length": "300000" }),
      100_000,
    );
    expect(declared).toMatchObject({ tooLarge: 300_000 });
    expect(declared.body.length).toBe(0);
    const counted = await readLimited(response(pieces(data, 10_000)), 100_000);
    expect(counted.tooLarge).toBe(110_000);
    expect(counted.body.length).toBe(0);
  });

  it("rejects with the stream's error", async () => {
    const failure = Object.assign(new Error("reset"), { code: "UND_ERR_SOCKET" });
    await expect(readLimited(response(pieces(data, 10_000), {}, failure), 1e6)).rejects.toBe(failure);
  });
});
