// Shared helpers for the repository tests: a cheap KDF, seeded data generators (identical in the
import { createHash } from "node:crypto";
// test and its child processes) and a bit flipper for tamper tests.
import { createMemoryDestination, type Destination } from "@ewsvault/destination";
import type { ChunkerParams } from "../src/chunker/index.js";
import { concatBytes } from "../src/format.js";
import { initRepository, type Repository } from "../src/index.js";

/** scrypt at N=2^10: keys behave the same, tests stay fast. Never use outside tests. */
export const FAST_KDF = Object.freeze({ N: 2 ** 10, r: 8, p: 1 });
export const PASSWORD = "correct horse battery staple";
export const SMALL_CHUNKS: ChunkerParams = Object.freeze({ minSize: 1024, avgSize: 4096, maxSize: 16384 });

export async function newRepository(
  options: {
    destination?: Destination;
    packSize?: number;
    chunkerParams?: ChunkerParams;
    cacheDir?: string;
  } = {},
): Promise<{ repo: Repository; destination: Destination }> {
  const destination = options.destination ?? createMemoryDestination();
  const repo = await initRepository({
    destination,
    password: PASSWORD,
    kdf: FAST_KDF,
    ...(options.packSize === undefined ? {} : { packSize: options.packSize }),
    ...(options.chunkerParams === undefined ? {} : { chunkerParams: options.chunkerParams }),
    ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
  });
  return { repo, destination };
}

/** xorshift32 bytes: the same seed gives the same bytes in every process. */
export function seededBytes(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

const WORDS =
  "meeting quarterly report please find attached regards invoice project deadline budget review agenda thanks customer order shipment contract schedule update team".split(
    " ",
  );

/** Compressible mail-like text (headers + body), seeded. */
export function mailText(seed: number, length: number): Uint8Array {
  const r = seededBytes(seed, Math.ceil(length / 4) + 16);
  let text = `From: user${seed}@example.com\r\nSubject: ${WORDS[seed % WORDS.length]} ${seed}\r\n\r\n`;
  let i = 0;
  while (text.length < length) {
    text += `${WORDS[r[i % r.length]! % WORDS.length]}${i % 13 === 12 ? ".\r\n" : " "}`;
    i++;
  }
  return new TextEncoder().encode(text.slice(0, length));
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return concatBytes(parts);
}

export async function names(destination: Destination, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const info of destination.list(prefix)) out.push(info.name);
  return out.sort();
}

/** Flips one bit of a stored object in place (bit index taken modulo the object's size). */
export async function flipBit(destination: Destination, name: string, bit: number): Promise<void> {
  const bytes = await destination.load(name);
  const copy = Uint8Array.from(bytes);
  const at = Math.floor(bit / 8) % copy.length;
  copy[at] = copy[at]! ^ (1 << (bit % 8));
  await destination.save(name, copy);
}

/** A short, comparable fingerprint of bytes (vitest's deep equality on big typed arrays is slow). */
export function digest(bytes: Uint8Array): string {
  return `${bytes.length}:${createHash("sha256").update(bytes).digest("hex")}`;
}
