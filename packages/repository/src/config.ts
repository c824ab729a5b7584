// The repository config object: identity and the parameters every writer must agree on. It is
// sealed with the data key (read right after unlocking), so a flipped bit or a config from
// another repository is refused before anything else is read.

import { EwsVaultError } from "@ewsvault/mailbox";
import type { ChunkerParams } from "./chunker/index.js";
import type { CompressionMethod } from "./compress/index.js";
import { AD, corrupt, fromUtf8, isId, utf8 } from "./format.js";
import { openObject, type Sealer } from "./sealer.js";

/**
 * Config version of new repositories. The version says what a reader must understand:
 *   1  blobs are stored raw (header 0) or brotli (header 1).
 *   2  blobs may also be zstd frames (header 2); everything else as in 1.
 * Pack and index layouts are unchanged (their own version byte is FORMAT_VERSION, still 1).
 * ewsvault before zstd refuses a version 2 config as REPO_CORRUPT ("not a version 1 repository
 * config") before reading anything, instead of failing on the first zstd blob mid-restore.
 */
export const CONFIG_VERSION = 2;
export type ConfigVersion = 1 | 2;
const READABLE_CONFIG_VERSIONS: readonly number[] = [1, 2];

/**
 * The codec writers use for compressible blobs of a repository: zstd from version 2 on; brotli
 * for version 1, which is never upgraded silently so older ewsvault versions keep reading it.
 * Readers of this version decode both in any repository.
 */
export function blobCompression(config: Pick<RepositoryConfig, "version">): CompressionMethod {
  return config.version >= 2 ? "zstd" : "brotli";
}

export interface RepositoryConfig {
  readonly version: ConfigVersion;
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

/**
 * MUST throw REPO_CORRUPT when the object fails authentication or is not a well-formed config,
 * and REPO_VERSION_UNSUPPORTED (details: version, supported) for a config of a later version
 * than this ewsvault reads.
 */
export function decodeConfig(bytes: Uint8Array, sealer: Sealer): RepositoryConfig {
  const plain = openObject(sealer, bytes, AD.config, { object: "config" });
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(fromUtf8(plain)) as Record<string, unknown>;
  } catch (error) {
    throw corrupt("config is not valid JSON", { object: "config" }, error);
  }
  if (typeof raw !== "object" || raw === null)
    throw corrupt("config is not a JSON object", { object: "config" });
  if (typeof raw.version === "number" && Number.isInteger(raw.version) && raw.version > CONFIG_VERSION) {
    throw new EwsVaultError(
      "REPO_VERSION_UNSUPPORTED",
      `the repository has config version ${raw.version}; this ewsvault reads versions up to ${CONFIG_VERSION}: upgrade ewsvault`,
      { details: { object: "config", version: raw.version, supported: [...READABLE_CONFIG_VERSIONS] } },
    );
  }
  const chunker = raw.chunkerParams as Record<string, unknown> | undefined;
  if (
    !READABLE_CONFIG_VERSIONS.includes(raw.version as number) ||
    !isId(raw.id) ||
    typeof raw.packSize !== "number" ||
    typeof chunker?.minSize !== "number" ||
    typeof chunker.avgSize !== "number" ||
    typeof chunker.maxSize !== "number"
  ) {
    throw corrupt("config is not a valid repository config", { object: "config" });
  }
  return {
    version: raw.version as ConfigVersion,
    id: raw.id,
    packSize: raw.packSize,
    chunkerParams: { minSize: chunker.minSize, avgSize: chunker.avgSize, maxSize: chunker.maxSize },
    createdAt: String(raw.createdAt ?? ""),
  };
}
