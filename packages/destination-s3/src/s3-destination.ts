// The Destination contract on top of one S3 bucket (AWS or any S3-compatible server). Every
// object is one S3 object under a key prefix; large objects go up as multipart uploads, which
// S3 only makes visible at CompleteMultipartUpload — that is what gives save() its
// all-or-nothing behaviour without temp names or renames.
import { Buffer } from "node:buffer";
import { randomUUID } from "node:crypto";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
  type S3ClientConfig,
  type StorageClass,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import {
  type Destination,
  type DestinationCapabilities,
  DestinationError,
  type LoadOptions,
  type ObjectInfo,
  type SaveOptions,
  isDestinationError,
  resolveLoadRange,
  validateLoadOptions,
  validateObjectName,
  validateObjectPrefix,
} from "@ewsvault/destination";
import { toDestinationError } from "./s3-errors.js";

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
}

function positiveInteger(value: number | undefined, fallback: number, what: string, minimum = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < minimum)
    throw new TypeError(`${what} must be an integer >= ${minimum}`);
  return value;
}

function normalizePrefix(prefix: string | undefined): string {
  if (prefix === undefined || prefix === "" || prefix === "/") return "";
  if (typeof prefix !== "string") throw new TypeError("prefix must be a string");
  const trimmed = prefix.replace(/^\/+/, "").replace(/\/+$/, "");
  validateObjectName(trimmed);
  return `${trimmed}/`;
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

export class S3Destination implements Destination {
  readonly description: string;
  readonly capabilities: DestinationCapabilities;

  private readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly bucket: string;
  private readonly keyPrefix: string;
  private readonly multipartThreshold: number;
  private readonly partSize: number;
  private readonly partConcurrency: number;
  private readonly listPageSize: number;
  private readonly storageClass: string | undefined;
  private readonly objectLock: S3ObjectLockOptions | undefined;
  private readonly exclusiveCreate: "if-none-match" | "check-then-put";
  private closed = false;

  constructor(options: S3DestinationOptions) {
    if (options === null || typeof options !== "object") throw new TypeError("options must be an object");
    if (typeof options.bucket !== "string" || options.bucket.length === 0 || options.bucket.includes("/")) {
      throw new TypeError("bucket must be a non-empty bucket name without '/'");
    }
    this.bucket = options.bucket;
    this.keyPrefix = normalizePrefix(options.prefix);
    const maxConnections = positiveInteger(options.maxConnections, 16, "maxConnections");
    this.partSize = positiveInteger(options.partSize, 8 * MIB, "partSize", MIN_PART_SIZE);
    this.multipartThreshold = positiveInteger(options.multipartThreshold, 16 * MIB, "multipartThreshold");
    this.partConcurrency = positiveInteger(options.partConcurrency, 4, "partConcurrency");
    this.listPageSize = positiveInteger(options.listPageSize, 1000, "listPageSize");
    if (this.listPageSize > 1000) throw new TypeError("listPageSize must be at most 1000");
    this.storageClass = options.storageClass;
    this.exclusiveCreate = options.exclusiveCreate ?? "if-none-match";
    if (this.exclusiveCreate !== "if-none-match" && this.exclusiveCreate !== "check-then-put") {
      throw new TypeError('exclusiveCreate must be "if-none-match" or "check-then-put"');
    }
    if (options.objectLock !== undefined) {
      const { mode, retentionDays } = options.objectLock;
      if (mode !== "GOVERNANCE" && mode !== "COMPLIANCE") {
        throw new TypeError('objectLock.mode must be "GOVERNANCE" or "COMPLIANCE"');
      }
      if (typeof retentionDays !== "number" || !(retentionDays > 0) || !Number.isFinite(retentionDays)) {
        throw new TypeError("objectLock.retentionDays must be a positive number");
      }
    }
    this.objectLock = options.objectLock;

    const where = describeEndpoint(options.endpoint);
    this.description = `s3 ${where} bucket ${this.bucket}${this.keyPrefix ? ` prefix ${this.keyPrefix}` : ""}`;
    this.capabilities = Object.freeze({
      maxConnections,
      atomicReplace: true,
      rangedReads: true,
      // S3 has been strongly read-after-write and list-after-write consistent since December 2020.
      listAfterWriteConsistent: true,
    });

    if (options.client !== undefined) {
      this.client = options.client;
      this.ownsClient = false;
      return;
    }
    const agentOptions = { keepAlive: true, maxSockets: maxConnections };
    const config: S3ClientConfig = {
      region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
      forcePathStyle: options.forcePathStyle ?? false,
      maxAttempts: positiveInteger(options.maxAttempts, 3, "maxAttempts"),
      requestChecksumCalculation: options.requestChecksumCalculation ?? "WHEN_SUPPORTED",
      // AWS answers 301 for a bucket in another region; the SDK can follow it. Custom servers never need it.
      followRegionRedirects: options.endpoint === undefined,
      requestHandler: {
        connectionTimeout: positiveInteger(options.connectionTimeoutMs, 10_000, "connectionTimeoutMs"),
        requestTimeout: positiveInteger(options.requestTimeoutMs, 120_000, "requestTimeoutMs"),
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
    this.client = new S3Client(config);
    this.ownsClient = true;
  }

  async save(name: string, data: Uint8Array, options: SaveOptions = {}): Promise<void> {
    validateObjectName(name);
    if (!(data instanceof Uint8Array)) throw new TypeError("data must be a Uint8Array");
    this.assertOpen();
    const key = this.keyPrefix + name;
    const exclusive = options.exclusive === true;
    try {
      if (exclusive && this.exclusiveCreate === "check-then-put") {
        // Racy by nature: two writers can both see "missing" before either PUT lands.
        if (await this.exists(key, options.signal)) {
          throw new DestinationError("DEST_ALREADY_EXISTS", `s3 save ${name}: object already exists`);
        }
      }
      const params: PutObjectCommandInput = { Bucket: this.bucket, Key: key, Body: data };
      if (exclusive && this.exclusiveCreate === "if-none-match") params.IfNoneMatch = "*";
      if (this.storageClass !== undefined) params.StorageClass = this.storageClass as StorageClass;
      if (this.objectLock !== undefined) {
        params.ObjectLockMode = this.objectLock.mode;
        params.ObjectLockRetainUntilDate = new Date(Date.now() + this.objectLock.retentionDays * 86_400_000);
        // S3 refuses retention without an integrity checksum (Content-MD5 or a flexible checksum).
        params.ChecksumAlgorithm = "CRC32";
      }
      if (data.byteLength <= this.multipartThreshold) {
        params.ContentLength = data.byteLength;
        await this.client.send(new PutObjectCommand(params), { abortSignal: options.signal });
      } else {
        await this.multipartUpload(params, options.signal);
      }
    } catch (error) {
      if (exclusive && this.exclusiveCreate === "if-none-match" && !options.signal?.aborted) {
        if (await this.lostAnswerOfOwnWrite(error, key, data)) return;
      }
      throw this.fail(error, "save", name, options.signal);
    }
  }

  async load(name: string, options: LoadOptions = {}): Promise<Uint8Array> {
    validateObjectName(name);
    validateLoadOptions(options);
    this.assertOpen();
    const key = this.keyPrefix + name;
    const offset = options.offset ?? 0;
    const length = options.length;
    try {
      if (length === 0) {
        // A zero-length Range cannot be expressed in HTTP; answer from the object's size instead.
        resolveLoadRange(await this.sizeOf(key, options.signal), options, name);
        return new Uint8Array(0);
      }
      const range =
        offset === 0 && length === undefined
          ? undefined
          : `bytes=${offset}-${length === undefined ? "" : offset + length - 1}`;
      let bytes: Uint8Array;
      let contentRange: string | undefined;
      try {
        const output = await this.client.send(
          new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range }),
          { abortSignal: options.signal },
        );
        contentRange = output.ContentRange;
        bytes = output.Body === undefined ? new Uint8Array(0) : await output.Body.transformToByteArray();
      } catch (error) {
        const mapped = toDestinationError(error, "load", name);
        if (mapped.code !== "DEST_RANGE_NOT_SATISFIABLE") throw mapped;
        // S3 also answers 416 for any range on an empty object, where offset 0 must still
        // succeed: the size decides, by the same rule every destination applies.
        resolveLoadRange(await this.sizeOf(key, options.signal), options, name);
        return new Uint8Array(0);
      }
      if (range !== undefined && contentRange === undefined) {
        // A server that ignored Range sent the whole object: cut the window out here.
        const { start, end } = resolveLoadRange(bytes.byteLength, options, name);
        return bytes.subarray(start, end);
      }
      return bytes;
    } catch (error) {
      throw this.fail(error, "load", name, options.signal);
    }
  }

  async stat(name: string): Promise<ObjectInfo> {
    validateObjectName(name);
    this.assertOpen();
    try {
      const output = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.keyPrefix + name }),
      );
      const info: { name: string; size: number; modifiedAt?: Date } = {
        name,
        size: output.ContentLength ?? 0,
      };
      if (output.LastModified !== undefined) info.modifiedAt = output.LastModified;
      return info;
    } catch (error) {
      throw this.fail(error, "stat", name);
    }
  }

  async *list(prefix = ""): AsyncIterable<ObjectInfo> {
    validateObjectPrefix(prefix);
    this.assertOpen();
    const fullPrefix = this.keyPrefix + prefix;
    let continuationToken: string | undefined;
    let startAfter: string | undefined;
    for (;;) {
      this.assertOpen();
      let output: ListObjectsV2CommandOutput;
      try {
        output = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: fullPrefix,
            MaxKeys: this.listPageSize,
            ContinuationToken: continuationToken,
            StartAfter: continuationToken === undefined ? startAfter : undefined,
          }),
        );
      } catch (error) {
        throw this.fail(error, "list", prefix === "" ? "(all)" : prefix);
      }
      let lastKey: string | undefined;
      for (const entry of output.Contents ?? []) {
        if (entry.Key === undefined) continue;
        lastKey = entry.Key;
        const name = entry.Key.slice(this.keyPrefix.length);
        // Keys that are not valid object names (console "folder/" markers, foreign files) are
        // not ours; yielding them would hand callers names every other method rejects.
        if (!isValidName(name)) continue;
        const info: { name: string; size: number; modifiedAt?: Date } = { name, size: entry.Size ?? 0 };
        if (entry.LastModified !== undefined) info.modifiedAt = entry.LastModified;
        yield info;
      }
      if (output.IsTruncated !== true) return;
      if (output.NextContinuationToken) {
        continuationToken = output.NextContinuationToken;
      } else if (lastKey !== undefined) {
        // Some servers page without a continuation token; StartAfter resumes just as well.
        continuationToken = undefined;
        startAfter = lastKey;
      } else {
        throw new DestinationError(
          "DEST_IO",
          "s3 list: server reported more results but gave no way to fetch them",
        );
      }
    }
  }

  async remove(name: string): Promise<void> {
    validateObjectName(name);
    this.assertOpen();
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyPrefix + name }));
    } catch (error) {
      const mapped = toDestinationError(error, "remove", name);
      // S3 answers 204 for a missing key, but some compatible servers say NoSuchKey.
      if (mapped.code === "DEST_NOT_FOUND") return;
      throw mapped;
    }
  }

  /**
   * Finds out whether the server honours `If-None-Match: *`, by writing a probe object twice
   * create-only under `.ewsvault-probe/` and removing it. False means a second exclusive write
   * overwrote the first: exclusive saves are not safe there with "if-none-match" and the
   * destination should be opened with exclusiveCreate "check-then-put" (single writer only).
   */
  async probeConditionalWrites(): Promise<boolean> {
    this.assertOpen();
    const key = `${this.keyPrefix}.ewsvault-probe/${randomUUID()}`;
    const put = (body: Uint8Array) =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          IfNoneMatch: "*",
          ContentLength: body.length,
        }),
      );
    try {
      await put(Uint8Array.of(1));
      try {
        await put(Uint8Array.of(2));
        return false;
      } catch (error) {
        const mapped = toDestinationError(error, "probe", key);
        if (mapped.code === "DEST_ALREADY_EXISTS") return true;
        throw mapped;
      }
    } catch (error) {
      throw this.fail(error, "probe", ".ewsvault-probe");
    } finally {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })).catch(() => {});
    }
  }

  /**
   * Aborts multipart uploads under this destination's prefix that were started more than
   * `olderThanMs` ago (default 24 h) and resolves to how many it aborted. A save interrupted
   * while the server was unreachable cannot abort its own upload; its parts are invisible but
   * billed until this (or a bucket lifecycle rule) removes them. The age threshold keeps it from
   * cutting off uploads other writers have in flight.
   */
  async abortIncompleteUploads(options: { olderThanMs?: number } = {}): Promise<number> {
    const olderThanMs = options.olderThanMs ?? 86_400_000;
    if (!Number.isSafeInteger(olderThanMs) || olderThanMs < 0) {
      throw new TypeError("olderThanMs must be a non-negative integer");
    }
    this.assertOpen();
    const cutoff = Date.now() - olderThanMs;
    let aborted = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    try {
      for (;;) {
        const page = await this.client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.bucket,
            Prefix: this.keyPrefix || undefined,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
          }),
        );
        for (const upload of page.Uploads ?? []) {
          if (upload.Key === undefined || upload.UploadId === undefined) continue;
          if (!upload.Key.startsWith(this.keyPrefix)) continue;
          if (upload.Initiated !== undefined && upload.Initiated.getTime() > cutoff) continue;
          try {
            await this.client.send(
              new AbortMultipartUploadCommand({
                Bucket: this.bucket,
                Key: upload.Key,
                UploadId: upload.UploadId,
              }),
            );
            aborted += 1;
          } catch (error) {
            // Someone else finished or aborted it in the meantime: the goal is reached.
            if (toDestinationError(error, "abort upload", upload.Key).code !== "DEST_NOT_FOUND") throw error;
          }
        }
        if (
          page.IsTruncated !== true ||
          (page.NextKeyMarker === undefined && page.NextUploadIdMarker === undefined)
        ) {
          return aborted;
        }
        keyMarker = page.NextKeyMarker;
        uploadIdMarker = page.NextUploadIdMarker;
      }
    } catch (error) {
      throw this.fail(error, "abort incomplete uploads", this.keyPrefix || "(bucket)");
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsClient) this.client.destroy();
  }

  private assertOpen(): void {
    if (this.closed) throw new DestinationError("DEST_CLOSED", `${this.description} is closed`);
  }

  private async multipartUpload(
    params: PutObjectCommandInput,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const abortController = new AbortController();
    const onAbort = () => abortController.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      // leavePartsOnError false: on any failure lib-storage sends AbortMultipartUpload, so the
      // parts stop costing storage. Nothing is visible under the key either way: S3 only
      // publishes a multipart object at CompleteMultipartUpload (which carries If-None-Match).
      const upload = new Upload({
        client: this.client,
        params,
        partSize: this.partSize,
        queueSize: this.partConcurrency,
        leavePartsOnError: false,
        abortController,
      });
      await upload.done();
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * True when an exclusive PUT was refused only because an earlier attempt of the same call
   * succeeded and its answer was lost (the SDK retried after a reset or timeout, and the retry
   * met its own object). Telling the caller "already exists" there would make a lock holder
   * believe someone else holds its lock; the bytes decide, and lock contents are unique.
   */
  private async lostAnswerOfOwnWrite(error: unknown, key: string, data: Uint8Array): Promise<boolean> {
    const attempts = (error as { $metadata?: { attempts?: number } } | null)?.$metadata?.attempts ?? 1;
    if (attempts < 2 || toDestinationError(error, "save", key).code !== "DEST_ALREADY_EXISTS") return false;
    try {
      const output = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const stored = output.Body === undefined ? new Uint8Array(0) : await output.Body.transformToByteArray();
      return stored.byteLength === data.byteLength && Buffer.from(stored).equals(data);
    } catch {
      return false;
    }
  }

  private async exists(key: string, signal: AbortSignal | undefined): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), {
        abortSignal: signal,
      });
      return true;
    } catch (error) {
      if (toDestinationError(error, "stat", key).code === "DEST_NOT_FOUND") return false;
      throw error;
    }
  }

  private async sizeOf(key: string, signal: AbortSignal | undefined): Promise<number> {
    const output = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), {
      abortSignal: signal,
    });
    return output.ContentLength ?? 0;
  }

  /** The error to throw for a failed call: the caller's abort reason when it aborted, else the mapped error. */
  private fail(error: unknown, operation: string, name: string, signal?: AbortSignal): unknown {
    if (signal?.aborted) return signal.reason ?? error;
    if (isDestinationError(error)) return error;
    return toDestinationError(error, operation, name);
  }
}

function isValidName(name: string): boolean {
  try {
    validateObjectName(name);
    return true;
  } catch {
    return false;
  }
}

/** Creates a destination on one S3 bucket (see S3DestinationOptions for defaults). */
export function createS3Destination(options: S3DestinationOptions): S3Destination {
  return new S3Destination(options);
}
