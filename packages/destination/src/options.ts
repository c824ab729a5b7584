// Option parsing the destination packages share, so a bad number or key prefix is refused with
// the same TypeError wherever it is given.

import { validateObjectName } from "./object-name.js";

/** `value`, or `fallback` when undefined; TypeError unless it is a safe integer >= `minimum`. */
export function integerOption(
  value: number | undefined,
  fallback: number,
  option: string,
  minimum = 1,
): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < minimum) {
    throw new TypeError(`${option} must be an integer >= ${minimum}, got ${String(value)}`);
  }
  return value;
}

/**
 * A key prefix inside a bucket or container as stored: "" for none, else valid object-name
 * segments with one trailing '/'. Leading and trailing slashes of `prefix` are ignored; anything
 * else that is not a valid object name is a TypeError.
 */
export function normalizeKeyPrefix(prefix: string | undefined): string {
  if (prefix === undefined || prefix === "" || prefix === "/") return "";
  if (typeof prefix !== "string") throw new TypeError("prefix must be a string");
  const trimmed = prefix.replace(/^\/+/, "").replace(/\/+$/, "");
  validateObjectName(trimmed);
  return `${trimmed}/`;
}
