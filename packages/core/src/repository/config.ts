// The repository config object: identity and the parameters every writer must agree on. It is
// sealed with the data key (read right after unlocking), so a flipped bit or a config from
// another repository is refused before anything else is read.

import type { ChunkerParams } from "./chunker/index.js";
import { AD, FORMAT_VERSION, corrupt, fromUtf8, isId, utf8 } from "./format.js";
import { type Sealer, openObject } from "./sealer.js";

export interface RepositoryConfig {
  readonly version: 1;
  /** 64 hex, random at init; names the local cache directory. */
  readonly id: string;
  readonly chunkerParams: ChunkerParams;
  /** Target pack size in bytes. */
  readonly packSize: number;
  readonly createdAt: string;
}

export function encodeConfig(config: RepositoryConfig, sealer: Sealer): Uint8Array {
  return sealer.seal(utf8(JSON.stringify(config)), AD.config);
}

/** MUST throw REPO_CORRUPT when the object fails authentication or is not a version 1 config. */
export function decodeConfig(bytes: Uint8Array, sealer: Sealer): RepositoryConfig {
  const plain = openObject(sealer, bytes, AD.config, { object: "config" });
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(fromUtf8(plain)) as Record<string, unknown>;
  } catch (error) {
    throw corrupt("config is not valid JSON", { object: "config" }, error);
  }
  const chunker = raw.chunkerParams as Record<string, unknown> | undefined;
  if (
    raw.version !== FORMAT_VERSION ||
    !isId(raw.id) ||
    typeof raw.packSize !== "number" ||
    typeof chunker?.minSize !== "number" ||
    typeof chunker.avgSize !== "number" ||
    typeof chunker.maxSize !== "number"
  ) {
    throw corrupt("config is not a version 1 repository config", { object: "config" });
  }
  return {
    version: 1,
    id: raw.id,
    packSize: raw.packSize,
    chunkerParams: { minSize: chunker.minSize, avgSize: chunker.avgSize, maxSize: chunker.maxSize },
    createdAt: String(raw.createdAt ?? ""),
  };
}
