// The options of an S3 destination and what they resolve to: validated settings, a description
// safe to log, and the SDK client (with a socket pool sized to maxConnections). Kept apart from
// the storage calls so the class reads as what it does with a bucket.
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { S3Client, type S3ClientConfig, type StorageClass } from "@aws-sdk/client-s3";
import { integerOption, normalizeKeyPrefix, type RetryOption } from "@ewsvault/destination";

const MIB = 1024 * 1024;
/** S3's floor for every part but the last. */
const MIN_PART_SIZE = 5 * MIB;

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface S3ObjectLockOptions {
  /** GOVERNANCE can be bypassed by principals with s3:BypassGovernanceRetention; COMPLIANCE by nobody. */
  readonly mode: "GOVERNANCE" | "COMPLIANCE";
  /** Retention period from the moment of each save(), in days (fractions allowed). */
  readonly retentionDays: number;
}

export interface S3DestinationOptions {
  /** Bucket name. Required. */
  readonly bucket: string;
  /** Key prefix inside the bucket; a trailing '/' is added when missing. Default: "" (bucket root). */
  readonly prefix?: string;
  /** Region used for signing. Default: AWS_REGION, else AWS_DEFAULT_REGION, else "us-east-1". */
  readonly region?: string;
  /** Endpoint URL of an S3-compatible server, e.g. "https://minio.example:9000". Default: AWS. */
  readonly endpoint?: string;
  /** Address buckets as https://host/bucket/key instead of https://bucket.host/key. Default: false. */
  readonly forcePathStyle?: boolean;
  /** Static credentials. Default: the SDK's standard provider chain (env, profile, SSO, IMDS, ...). */
  readonly credentials?: S3Credentials;
  /** Concurrent requests the repository should issue, and the HTTP socket pool size. Default: 16. */
  readonly maxConnections?: number;
  /** Attempts per request, counting the first, in the SDK's retry strategy. Default: 3. */
  readonly maxAttempts?: number;
  /** Time allowed to open a TCP/TLS connection, in ms. Default: 10000. */
  readonly connectionTimeoutMs?: number;
  /** Time a request may sit without socket activity before it is failed as transient, in ms. Default: 120000. */
  readonly requestTimeoutMs?: number;
  /** Objects larger than this many bytes are uploaded as multipart uploads. Default: 16 MiB. */
  readonly multipartThreshold?: number;
  /** Part size of multipart uploads in bytes, at least 5 MiB. Default: 8 MiB. */
  readonly partSize?: number;
  /** Keys asked for per ListObjectsV2 page (S3 caps it at 1000). Default: 1000. */
  readonly listPageSize?: number;
  /** Parts of one multipart upload sent at once. Default: 4. */
  readonly partConcurrency?: number;
  /** Storage class of written objects, e.g. "STANDARD_IA". Default: the bucket's default (STANDARD). */
  readonly storageClass?: StorageClass | (string & {});
  /** Object Lock retention on every written object. The bucket must have Object Lock enabled. Default: none. */
  readonly objectLock?: S3ObjectLockOptions;
  /**
   * How save({ exclusive: true }) is made create-only. "if-none-match" sends `If-None-Match: *`
   * (atomic on servers that honour it); "check-then-put" does HEAD then PUT (racy). Default: "if-none-match".
   */
  readonly exclusiveCreate?: "if-none-match" | "check-then-put";
  /**
   * When the SDK adds CRC32 checksums to uploads. "WHEN_REQUIRED" helps servers that reject the
   * newer flexible-checksum headers. Object Lock always sends a checksum. Default: "WHEN_SUPPORTED".
   */
  readonly requestChecksumCalculation?: "WHEN_SUPPORTED" | "WHEN_REQUIRED";
  /** A client you configured yourself; connection options above are then ignored and close() leaves it open. */
  readonly client?: S3Client;
  /**
   * Retrying of DEST_TRANSIENT on top of the SDK's own attempts (what is still failing after
   * them): overrides of the default policy of @ewsvault/destination, or false. Default: that policy.
   */
  readonly retry?: RetryOption;
}

/** What the destination's storage calls need, validated and defaulted. */
export interface S3Settings {
  readonly bucket: string;
  /** "" or a valid object-name prefix ending in '/'. */
  readonly keyPrefix: string;
  readonly maxConnections: number;
  readonly multipartThreshold: number;
  readonly partSize: number;
  readonly partConcurrency: number;
  readonly listPageSize: number;
  readonly storageClass: string | undefined;
  readonly objectLock: S3ObjectLockOptions | undefined;
  readonly exclusiveCreate: "if-none-match" | "check-then-put";
  readonly description: string;
}

/** Where the destination points, for logs: the endpoint's origin only, so userinfo never leaks. */
function describeEndpoint(endpoint: string | undefined): string {
  if (endpoint === undefined) return "aws";
  try {
    return new URL(endpoint).origin;
  } catch {
    throw new TypeError("endpoint must be an absolute URL such as https://host:9000");
  }
}

function validateObjectLock(objectLock: S3ObjectLockOptions | undefined): void {
  if (objectLock === undefined) return;
  const { mode, retentionDays } = objectLock;
  if (mode !== "GOVERNANCE" && mode !== "COMPLIANCE") {
    throw new TypeError('objectLock.mode must be "GOVERNANCE" or "COMPLIANCE"');
  }
  if (typeof retentionDays !== "number" || !(retentionDays > 0) || !Number.isFinite(retentionDays)) {
    throw new TypeError("objectLock.retentionDays must be a positive number");
  }
}

/** Validates `options` (TypeError for anything malformed) and fills in the defaults. */
export function resolveS3Settings(options: S3DestinationOptions): S3Settings {
  if (options === null || typeof options !== "object") throw new TypeError("options must be an object");
  if (typeof options.bucket !== "string" || options.bucket.length === 0 || options.bucket.includes("/")) {
    throw new TypeError("bucket must be a non-empty bucket name without '/'");
  }
  const keyPrefix = normalizeKeyPrefix(options.prefix);
  const listPageSize = integerOption(options.listPageSize, 1000, "listPageSize");
  if (listPageSize > 1000) throw new TypeError("listPageSize must be at most 1000");
  const exclusiveCreate = options.exclusiveCreate ?? "if-none-match";
  if (exclusiveCreate !== "if-none-match" && exclusiveCreate !== "check-then-put") {
    throw new TypeError('exclusiveCreate must be "if-none-match" or "check-then-put"');
  }
  validateObjectLock(options.objectLock);
  const where = describeEndpoint(options.endpoint);
  return {
    bucket: options.bucket,
    keyPrefix,
    maxConnections: integerOption(options.maxConnections, 16, "maxConnections"),
    partSize: integerOption(options.partSize, 8 * MIB, "partSize", MIN_PART_SIZE),
    multipartThreshold: integerOption(options.multipartThreshold, 16 * MIB, "multipartThreshold"),
    partConcurrency: integerOption(options.partConcurrency, 4, "partConcurrency"),
    listPageSize,
    storageClass: options.storageClass,
    objectLock: options.objectLock,
    exclusiveCreate,
    description: `s3 ${where} bucket ${options.bucket}${keyPrefix ? ` prefix ${keyPrefix}` : ""}`,
  };
}

/** The SDK client `options` ask for; `owned` is false for a caller's own client (close() leaves it open). */
export function createS3Client(
  options: S3DestinationOptions,
  maxConnections: number,
): { client: S3Client; owned: boolean } {
  if (options.client !== undefined) return { client: options.client, owned: false };
  const agentOptions = { keepAlive: true, maxSockets: maxConnections };
  const config: S3ClientConfig = {
    region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
    forcePathStyle: options.forcePathStyle ?? false,
    maxAttempts: integerOption(options.maxAttempts, 3, "maxAttempts"),
    requestChecksumCalculation: options.requestChecksumCalculation ?? "WHEN_SUPPORTED",
    // AWS answers 301 for a bucket in another region; the SDK can follow it. Custom servers never need it.
    followRegionRedirects: options.endpoint === undefined,
    requestHandler: {
      connectionTimeout: integerOption(options.connectionTimeoutMs, 10_000, "connectionTimeoutMs"),
      requestTimeout: integerOption(options.requestTimeoutMs, 120_000, "requestTimeoutMs"),
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
    },
  };
  if (options.endpoint !== undefined) config.endpoint = options.endpoint;
  if (options.credentials !== undefined) {
    const { accessKeyId, secretAccessKey, sessionToken } = options.credentials;
    if (typeof accessKeyId !== "string" || typeof secretAccessKey !== "string") {
      throw new TypeError("credentials need accessKeyId and secretAccessKey strings");
    }
    config.credentials = sessionToken
      ? { accessKeyId, secretAccessKey, sessionToken }
      : { accessKeyId, secretAccessKey };
  }
  return { client: new S3Client(config), owned: true };
}
