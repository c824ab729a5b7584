// The Destination contract on top of one S3 bucket (AWS or any S3-compatible server). Every
// object is one S3 object under a key prefix; large objects go up as multipart uploads, which
// S3 only makes visible at CompleteMultipartUpload — that is what gives save() its
// all-or-nothing behaviour without temp names or renames. Validation, the closed state, abort
// and retries come from BaseDestination; options and the client from s3-options.ts.
import { Buffer } from "node:buffer";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
  type StorageClass,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import {
  BaseDestination,
  type DestinationCapabilities,
  DestinationError,
  isValidObjectName,
  type LoadOptions,
  type ObjectInfo,
  resolveLoadRange,
  type SaveOptions,
} from "@ewsvault/destination";
import { toDestinationError } from "./s3-errors.js";
import { abortIncompleteUploads, probeConditionalWrites, type S3Place } from "./s3-maintenance.js";
import {
  createS3Client,
  resolveS3Settings,
  type S3DestinationOptions,
  type S3Settings,
} from "./s3-options.js";

export class S3Destination extends BaseDestination {
  readonly description: string;
  readonly capabilities: DestinationCapabilities;

  private readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly settings: S3Settings;

  constructor(options: S3DestinationOptions) {
    super(options?.retry);
    this.settings = resolveS3Settings(options);
    this.description = this.settings.description;
    this.capabilities = Object.freeze({
      maxConnections: this.settings.maxConnections,
      atomicReplace: true,
      rangedReads: true,
      // S3 has been strongly read-after-write and list-after-write consistent since December 2020.
      listAfterWriteConsistent: true,
    });
    const { client, owned } = createS3Client(options, this.settings.maxConnections);
    this.client = client;
    this.ownsClient = owned;
  }

  private get bucket(): string {
    return this.settings.bucket;
  }

  private get keyPrefix(): string {
    return this.settings.keyPrefix;
  }

  protected async saveObject(name: string, data: Uint8Array, options: SaveOptions): Promise<void> {
    const { exclusiveCreate, storageClass, objectLock } = this.settings;
    const key = this.keyPrefix + name;
    const exclusive = options.exclusive === true;
    try {
      if (exclusive && exclusiveCreate === "check-then-put") {
        // Racy by nature: two writers can both see "missing" before either PUT lands.
        if (await this.exists(key, options.signal)) {
          throw new DestinationError("DEST_ALREADY_EXISTS", `s3 save ${name}: object already exists`);
        }
      }
      const params: PutObjectCommandInput = { Bucket: this.bucket, Key: key, Body: data };
      if (exclusive && exclusiveCreate === "if-none-match") params.IfNoneMatch = "*";
      if (storageClass !== undefined) params.StorageClass = storageClass as StorageClass;
      if (objectLock !== undefined) {
        params.ObjectLockMode = objectLock.mode;
        params.ObjectLockRetainUntilDate = new Date(Date.now() + objectLock.retentionDays * 86_400_000);
        // S3 refuses retention without an integrity checksum (Content-MD5 or a flexible checksum).
        params.ChecksumAlgorithm = "CRC32";
      }
      if (data.byteLength <= this.settings.multipartThreshold) {
        params.ContentLength = data.byteLength;
        await this.client.send(new PutObjectCommand(params), { abortSignal: options.signal });
      } else {
        await this.multipartUpload(params, options.signal);
      }
    } catch (error) {
      if (exclusive && exclusiveCreate === "if-none-match" && !options.signal?.aborted) {
        if (await this.lostAnswerOfOwnWrite(error, key, data)) return;
      }
      throw error;
    }
  }

  protected async loadObject(name: string, options: LoadOptions): Promise<Uint8Array> {
    const key = this.keyPrefix + name;
    const offset = options.offset ?? 0;
    const length = options.length;
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
  }

  protected async statObject(name: string): Promise<ObjectInfo> {
    const output = await this.client.send(
      new HeadObjectCommand({ Bucket: this.bucket, Key: this.keyPrefix + name }),
    );
    const info: { name: string; size: number; modifiedAt?: Date } = { name, size: output.ContentLength ?? 0 };
    if (output.LastModified !== undefined) info.modifiedAt = output.LastModified;
    return info;
  }

  protected async *listObjects(prefix: string): AsyncIterable<ObjectInfo> {
    const fullPrefix = this.keyPrefix + prefix;
    let continuationToken: string | undefined;
    let startAfter: string | undefined;
    for (;;) {
      this.assertOpen();
      const output: ListObjectsV2CommandOutput = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: fullPrefix,
          MaxKeys: this.settings.listPageSize,
          ContinuationToken: continuationToken,
          StartAfter: continuationToken === undefined ? startAfter : undefined,
        }),
      );
      let lastKey: string | undefined;
      for (const entry of output.Contents ?? []) {
        if (entry.Key === undefined) continue;
        lastKey = entry.Key;
        const name = entry.Key.slice(this.keyPrefix.length);
        // Keys that are not valid object names (console "folder/" markers, foreign files) are
        // not ours; yielding them would hand callers names every other method rejects.
        if (!isValidObjectName(name)) continue;
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

  protected async removeObject(name: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyPrefix + name }));
    } catch (error) {
      const mapped = toDestinationError(error, "remove", name);
      // S3 answers 204 for a missing key, but some compatible servers say NoSuchKey.
      if (mapped.code === "DEST_NOT_FOUND") return;
      throw mapped;
    }
  }

  protected async closeStorage(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }

  protected mapError(error: unknown, operation: string, name: string): DestinationError {
    return toDestinationError(error, operation, name === "" && operation === "list" ? "(all)" : name);
  }

  private get place(): S3Place {
    return { client: this.client, bucket: this.bucket, keyPrefix: this.keyPrefix };
  }

  /**
   * Finds out whether the server honours `If-None-Match: *`, by writing a probe object twice
   * create-only under `.ewsvault-probe/` and removing it. False means a second exclusive write
   * overwrote the first: exclusive saves are not safe there with "if-none-match" and the
   * destination should be opened with exclusiveCreate "check-then-put" (single writer only).
   */
  async probeConditionalWrites(): Promise<boolean> {
    this.assertOpen();
    return probeConditionalWrites(this.place).catch((error: unknown) => {
      throw toDestinationError(error, "probe", ".ewsvault-probe");
    });
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
    return abortIncompleteUploads(this.place, Date.now() - olderThanMs).catch((error: unknown) => {
      throw toDestinationError(error, "abort incomplete uploads", this.keyPrefix || "(bucket)");
    });
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
        partSize: this.settings.partSize,
        queueSize: this.settings.partConcurrency,
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
}

/** Creates a destination on one S3 bucket (see S3DestinationOptions for defaults). */
export function createS3Destination(options: S3DestinationOptions): S3Destination {
  return new S3Destination(options);
}
