// A Destination on Azure Blob Storage. Every object is a block blob; uploadData() stages the
// blocks and commits them in one Put Block List (or sends one Put Blob when small), so a blob
// never exists half-written and a failed save leaves at most uncommitted blocks, which are
// invisible to reads and listings and garbage-collected by the service after a week.
import {
  AnonymousCredential,
  BlobServiceClient,
  type BlockBlobTier,
  type ContainerClient,
  StorageSharedKeyCredential,
  type StoragePipelineOptions,
  newPipeline,
} from "@azure/storage-blob";
import {
  type Destination,
  type DestinationCapabilities,
  DestinationError,
  type LoadOptions,
  type ObjectInfo,
  type SaveOptions,
  resolveLoadRange,
  validateLoadOptions,
  validateObjectName,
  validateObjectPrefix,
} from "@ewsvault/destination";
import { azureErrorCode, azureStatus, toDestinationError } from "./errors.js";

/** Anything shaped like @azure/core-auth's TokenCredential (e.g. DefaultAzureCredential). */
export interface AzureTokenCredential {
  getToken(
    scopes: string | string[],
    options?: unknown,
  ): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}

export type AzureAccessTier = "Hot" | "Cool" | "Cold" | "Archive";

export interface AzureImmutabilityOptions {
  /** How long each written blob stays immutable, counted from its upload. */
  readonly retentionDays: number;
  /** "Unlocked" policies can still be shortened or removed by an account admin; "Locked" cannot. Default "Unlocked". */
  readonly mode?: "Unlocked" | "Locked";
  /**
   * Which object names get the policy; default every name. Names the repository deletes or
   * replaces (locks, for instance) must be excluded, or their removal fails with DEST_PERMISSION.
   */
  readonly appliesTo?: (name: string) => boolean;
}

export interface AzureBlobDestinationOptions {
  /** Container holding the repository. */
  readonly container: string;
  /** Blob name prefix under which objects live ("" = container root). Default "". */
  readonly prefix?: string;
  /** Full connection string (AccountName/AccountKey, SharedAccessSignature or UseDevelopmentStorage=true). */
  readonly connectionString?: string;
  /**
   * Blob service endpoint, e.g. https://<account>.blob.core.windows.net or, for an emulator,
   * http://127.0.0.1:10000/devstoreaccount1. Default https://<accountName>.blob.core.windows.net.
   */
  readonly accountUrl?: string;
  readonly accountName?: string;
  /** Shared key (base64) of accountName. */
  readonly accountKey?: string;
  /** SAS token (with or without the leading '?') granting access to the container. */
  readonly sasToken?: string;
  /** Microsoft Entra ID credential, e.g. new DefaultAzureCredential() from @azure/identity. */
  readonly credential?: AzureTokenCredential;
  /** Block size for staged uploads, and the largest object sent as a single Put Blob. Default 4 MiB. */
  readonly blockSize?: number;
  /** Blocks of one object uploaded in parallel. Default 4. */
  readonly uploadConcurrency?: number;
  /** Advertised in capabilities.maxConnections. Default 16. */
  readonly maxConnections?: number;
  /** Access tier set on written blobs; default: the account's default tier. */
  readonly accessTier?: AzureAccessTier;
  /** Time-based retention (version-level immutability must be enabled on the container). */
  readonly immutability?: AzureImmutabilityOptions;
  /** Create the container when it does not exist (needs account-level permission). Default false. */
  readonly createContainer?: boolean;
  /** Attempts per request, including the first, before DEST_TRANSIENT is thrown. Default 4. */
  readonly maxTries?: number;
  /** Server-side time limit of one request attempt (the `timeout` query parameter), in milliseconds. Default: the service's. */
  readonly tryTimeoutMs?: number;
  /**
   * Abort a call when no bytes move and no answer arrives for this long, in milliseconds, and
   * fail it with DEST_TRANSIENT. The SDK has no client-side timeout, so without this a hung
   * server or a silently dropped connection blocks a call indefinitely. Default 60000.
   */
  readonly stallTimeoutMs?: number;
  /** First retry delay in milliseconds (doubling up to 30 s). Default 1000. */
  readonly retryDelayMs?: number;
  /** Allow plain http:// to a host that is not loopback. Default false. */
  readonly allowInsecureHttp?: boolean;
}

const MiB = 1024 * 1024;
const ACCESS_TIERS = new Set<string>(["Hot", "Cool", "Cold", "Archive"]);

function positiveInteger(value: number | undefined, fallback: number, option: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`${option} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** Strips the query string (where a SAS signature would sit) so the URL is safe to log. */
function safeUrl(url: string): string {
  const at = url.indexOf("?");
  return (at === -1 ? url : url.slice(0, at)).replace(/\/+$/, "");
}

function normalizePrefix(prefix: string | undefined): string {
  if (prefix === undefined || prefix === "" || prefix === "/") return "";
  const trimmed = prefix.replace(/^\/+|\/+$/g, "");
  validateObjectName(trimmed);
  return `${trimmed}/`;
}

function buildServiceClient(options: AzureBlobDestinationOptions, pipelineOptions: StoragePipelineOptions) {
  const kinds = [
    options.connectionString !== undefined,
    options.accountKey !== undefined,
    options.sasToken !== undefined,
    options.credential !== undefined,
  ].filter(Boolean).length;
  if (kinds !== 1) {
    throw new TypeError(
      "exactly one of connectionString, accountKey (with accountName), sasToken or credential is required",
    );
  }
  if (options.connectionString !== undefined) {
    const client = BlobServiceClient.fromConnectionString(options.connectionString, pipelineOptions);
    return { client, url: client.url };
  }
  let accountUrl = options.accountUrl;
  if (accountUrl === undefined) {
    if (options.accountName === undefined) throw new TypeError("accountUrl or accountName is required");
    accountUrl = `https://${options.accountName}.blob.core.windows.net`;
  }
  const parsed = new URL(accountUrl);
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new TypeError(`accountUrl must be http(s), got ${parsed.protocol}`);
  }
  if (parsed.protocol === "http:" && !isLoopback(parsed.hostname) && options.allowInsecureHttp !== true) {
    throw new TypeError(
      "accountUrl uses plain http to a non-loopback host; set allowInsecureHttp to allow it",
    );
  }
  if (parsed.search !== "") throw new TypeError("accountUrl must not carry a query string; pass sasToken");
  const base = accountUrl.replace(/\/+$/, "");
  if (options.accountKey !== undefined) {
    if (options.accountName === undefined) throw new TypeError("accountKey needs accountName");
    const credential = new StorageSharedKeyCredential(options.accountName, options.accountKey);
    return { client: new BlobServiceClient(base, newPipeline(credential, pipelineOptions)), url: base };
  }
  if (options.sasToken !== undefined) {
    const sas = options.sasToken.replace(/^\?/, "");
    const pipeline = newPipeline(new AnonymousCredential(), pipelineOptions);
    return { client: new BlobServiceClient(`${base}?${sas}`, pipeline), url: base };
  }
  // Token credentials go through the client constructor, which adds the bearer-token policy.
  const credential = options.credential as AzureTokenCredential;
  if (typeof credential.getToken !== "function") throw new TypeError("credential must have getToken()");
  return {
    client: new BlobServiceClient(base, credential as never, pipelineOptions),
    url: base,
  };
}

/**
 * Runs `call` with an AbortSignal that fires when the caller's signal does, or when `touch()`
 * has not been called for `stallMs` (a stalled request); the latter becomes DEST_TRANSIENT.
 */
async function watched<T>(
  stallMs: number,
  what: string,
  userSignal: AbortSignal | undefined,
  call: (signal: AbortSignal, touch: () => void) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let stalled = false;
  let timer: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      controller.abort(new Error(`no progress for ${stallMs} ms`));
    }, stallMs);
  };
  const forward = () => controller.abort(userSignal?.reason);
  if (userSignal?.aborted === true) forward();
  userSignal?.addEventListener("abort", forward, { once: true });
  touch();
  try {
    return await call(controller.signal, touch);
  } catch (error) {
    if (stalled && userSignal?.aborted !== true) {
      throw new DestinationError("DEST_TRANSIENT", `azure blob ${what}: no progress for ${stallMs} ms`, {
        cause: error,
      });
    }
    throw error;
  } finally {
    clearTimeout(timer);
    userSignal?.removeEventListener("abort", forward);
  }
}

async function readAll(
  stream: NodeJS.ReadableStream | undefined,
  expected: number,
  touch: () => void,
): Promise<Uint8Array> {
  if (stream === undefined) return new Uint8Array(0);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    touch();
    chunks.push(buffer);
    total += buffer.length;
  }
  const out = new Uint8Array(Math.max(total, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  if (expected >= 0 && total !== expected) {
    throw new DestinationError("DEST_TRANSIENT", `azure blob download: got ${total} of ${expected} bytes`);
  }
  return out;
}

export class AzureBlobDestination implements Destination {
  readonly description: string;
  readonly capabilities: DestinationCapabilities;
  readonly #container: ContainerClient;
  readonly #prefix: string;
  readonly #blockSize: number;
  readonly #uploadConcurrency: number;
  readonly #tier: AzureAccessTier | undefined;
  readonly #immutability: AzureImmutabilityOptions | undefined;
  readonly #createContainer: boolean;
  readonly #stallMs: number;
  #containerReady: Promise<void> | undefined;
  #closed = false;

  constructor(options: AzureBlobDestinationOptions) {
    if (typeof options !== "object" || options === null) throw new TypeError("options are required");
    if (
      typeof options.container !== "string" ||
      !/^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$/.test(options.container)
    ) {
      throw new TypeError(`invalid container name: ${JSON.stringify(options.container)}`);
    }
    if (options.accessTier !== undefined && !ACCESS_TIERS.has(options.accessTier)) {
      throw new TypeError(`accessTier must be Hot, Cool, Cold or Archive, got ${String(options.accessTier)}`);
    }
    if (options.immutability !== undefined) {
      const { retentionDays, mode } = options.immutability;
      if (!(typeof retentionDays === "number" && retentionDays > 0 && Number.isFinite(retentionDays))) {
        throw new TypeError("immutability.retentionDays must be a positive number");
      }
      if (mode !== undefined && mode !== "Unlocked" && mode !== "Locked") {
        throw new TypeError('immutability.mode must be "Unlocked" or "Locked"');
      }
    }
    this.#prefix = normalizePrefix(options.prefix);
    this.#blockSize = positiveInteger(options.blockSize, 4 * MiB, "blockSize");
    this.#uploadConcurrency = positiveInteger(options.uploadConcurrency, 4, "uploadConcurrency");
    const maxConnections = positiveInteger(options.maxConnections, 16, "maxConnections");
    const maxTries = positiveInteger(options.maxTries, 4, "maxTries");
    const tryTimeoutMs =
      options.tryTimeoutMs === undefined
        ? undefined
        : positiveInteger(options.tryTimeoutMs, 1, "tryTimeoutMs");
    this.#stallMs = positiveInteger(options.stallTimeoutMs, 60_000, "stallTimeoutMs");
    const retryDelayMs = positiveInteger(options.retryDelayMs, 1000, "retryDelayMs");
    this.#tier = options.accessTier;
    this.#immutability = options.immutability;
    this.#createContainer = options.createContainer === true;
    const { client, url } = buildServiceClient(options, {
      retryOptions: {
        maxTries,
        ...(tryTimeoutMs === undefined ? {} : { tryTimeoutInMs: tryTimeoutMs }),
        retryDelayInMs: retryDelayMs,
        maxRetryDelayInMs: Math.max(retryDelayMs, 30_000),
      },
      keepAliveOptions: { enable: true },
    });
    this.#container = client.getContainerClient(options.container);
    this.description = `azure:${safeUrl(url)}/${options.container}/${this.#prefix}`;
    this.capabilities = Object.freeze({
      maxConnections,
      atomicReplace: true,
      rangedReads: true,
      listAfterWriteConsistent: true,
    });
  }

  #check(name: string): void {
    validateObjectName(name);
    if (this.#closed) throw new DestinationError("DEST_CLOSED", `${this.description} is closed`);
  }

  #ensureContainer(): Promise<void> {
    if (!this.#createContainer) return Promise.resolve();
    if (this.#containerReady === undefined) {
      const ready = watched(this.#stallMs, "create container", undefined, (abortSignal) =>
        this.#container.createIfNotExists({ abortSignal }),
      )
        .then(() => undefined)
        .catch((error: unknown) => {
          this.#containerReady = undefined;
          throw toDestinationError(error, "create container", "");
        });
      this.#containerReady = ready;
    }
    return this.#containerReady;
  }

  async save(name: string, data: Uint8Array, options: SaveOptions = {}): Promise<void> {
    this.#check(name);
    if (!(data instanceof Uint8Array)) throw new TypeError("data must be a Uint8Array");
    await this.#ensureContainer();
    const blob = this.#container.getBlockBlobClient(this.#prefix + name);
    const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const upload = () =>
      watched(this.#stallMs, `save ${JSON.stringify(name)}`, options.signal, (abortSignal, touch) =>
        blob.uploadData(body, {
          blockSize: this.#blockSize,
          maxSingleShotSize: this.#blockSize,
          concurrency: this.#uploadConcurrency,
          abortSignal,
          onProgress: touch,
          conditions: options.exclusive === true ? { ifNoneMatch: "*" } : undefined,
          tier: this.#tier as BlockBlobTier | undefined,
        }),
      );
    try {
      try {
        await upload();
      } catch (error) {
        // A container we created can vanish (deleted by an admin, an emulator restarted
        // without its state); create it again once rather than failing every later save.
        if (!this.#createContainer || azureErrorCode(error) !== "ContainerNotFound") throw error;
        this.#containerReady = undefined;
        await this.#ensureContainer();
        await upload();
      }
    } catch (error) {
      if (options.signal?.aborted === true) throw options.signal.reason ?? error;
      const code = azureErrorCode(error);
      const status = azureStatus(error);
      if (
        options.exclusive === true &&
        (status === 409 || status === 412) &&
        (code === "BlobAlreadyExists" || code === "ConditionNotMet" || code === undefined)
      ) {
        throw new DestinationError(
          "DEST_ALREADY_EXISTS",
          `azure blob save ${JSON.stringify(name)}: already exists`,
        );
      }
      if (code === "ContainerNotFound") {
        throw new DestinationError(
          "DEST_CONFIG",
          `azure blob save ${JSON.stringify(name)}: container does not exist (create it or set createContainer)`,
        );
      }
      throw toDestinationError(error, "save", name);
    }
    const immutability = this.#immutability;
    if (immutability !== undefined && (immutability.appliesTo?.(name) ?? true)) {
      try {
        await watched(
          this.#stallMs,
          `set immutability policy on ${JSON.stringify(name)}`,
          options.signal,
          (abortSignal) =>
            blob.setImmutabilityPolicy(
              {
                expiriesOn: new Date(Date.now() + immutability.retentionDays * 86_400_000),
                policyMode: immutability.mode ?? "Unlocked",
              },
              { abortSignal },
            ),
        );
      } catch (error) {
        // A save that cannot be made immutable must not look like a success, nor leave an
        // object behind that the caller believes was never written.
        await blob.deleteIfExists().catch(() => undefined);
        throw toDestinationError(error, "set immutability policy on", name);
      }
    }
  }

  async load(name: string, options: LoadOptions = {}): Promise<Uint8Array> {
    validateObjectName(name);
    validateLoadOptions(options);
    this.#check(name);
    const offset = options.offset ?? 0;
    const length = options.length;
    const blob = this.#container.getBlobClient(this.#prefix + name);
    if (length === 0) {
      // Azure has no empty range; answer from the blob's size so a missing blob or a start
      // past the end still fail the way the contract says.
      resolveLoadRange((await this.stat(name)).size, options, name);
      return new Uint8Array(0);
    }
    try {
      const bytes = await watched(
        this.#stallMs,
        `load ${JSON.stringify(name)}`,
        options.signal,
        async (abortSignal, touch) => {
          const response = await blob.download(offset, length, { abortSignal, maxRetryRequests: 3 });
          return readAll(response.readableStreamBody, response.contentLength ?? -1, touch);
        },
      );
      // Real Azure answers 416 for a start at the end; emulators may send an empty 206 instead.
      if (bytes.length === 0 && offset > 0) resolveLoadRange((await this.stat(name)).size, options, name);
      return bytes;
    } catch (error) {
      if (options.signal?.aborted === true) throw options.signal.reason ?? error;
      if (azureStatus(error) === 416 || azureErrorCode(error) === "InvalidRange") {
        // Azure also answers 416 for any range of an empty blob; the shared range rules decide
        // whether that is an empty read or DEST_RANGE_NOT_SATISFIABLE.
        const range = resolveLoadRange((await this.stat(name)).size, options, name);
        if (range.end > range.start) throw toDestinationError(error, "load", name);
        return new Uint8Array(0);
      }
      if (azureStatus(error) === 412) {
        // The SDK resumes a broken download with If-Match on the first response's ETag; a
        // save that replaced the blob in between makes that fail. Reading again is correct.
        throw new DestinationError(
          "DEST_TRANSIENT",
          `azure blob load ${JSON.stringify(name)}: the object was replaced while being read`,
        );
      }
      throw toDestinationError(error, "load", name);
    }
  }

  async stat(name: string): Promise<ObjectInfo> {
    this.#check(name);
    try {
      const properties = await watched(
        this.#stallMs,
        `stat ${JSON.stringify(name)}`,
        undefined,
        (abortSignal) => this.#container.getBlobClient(this.#prefix + name).getProperties({ abortSignal }),
      );
      return {
        name,
        size: properties.contentLength ?? 0,
        ...(properties.lastModified === undefined ? {} : { modifiedAt: properties.lastModified }),
      };
    } catch (error) {
      throw toDestinationError(error, "stat", name);
    }
  }

  async *list(prefix = ""): AsyncIterable<ObjectInfo> {
    validateObjectPrefix(prefix);
    if (this.#closed) throw new DestinationError("DEST_CLOSED", `${this.description} is closed`);
    // One signal for the whole listing, armed only while a page is being fetched: the time the
    // caller spends between items must not count as a stall.
    const controller = new AbortController();
    const pages = this.#container
      .listBlobsFlat({ prefix: this.#prefix + prefix, abortSignal: controller.signal })
      .byPage({ maxPageSize: 5000 });
    try {
      for (;;) {
        let stalled = false;
        const timer = setTimeout(() => {
          stalled = true;
          controller.abort(new Error(`no progress for ${this.#stallMs} ms`));
        }, this.#stallMs);
        let next: Awaited<ReturnType<typeof pages.next>>;
        try {
          next = await pages.next();
        } catch (error) {
          if (!stalled) throw error;
          throw new DestinationError(
            "DEST_TRANSIENT",
            `azure blob list ${JSON.stringify(prefix)}: no progress for ${this.#stallMs} ms`,
          );
        } finally {
          clearTimeout(timer);
        }
        if (next.done === true) break;
        const page = next.value;
        if (this.#closed) throw new DestinationError("DEST_CLOSED", `${this.description} is closed`);
        for (const item of page.segment.blobItems) {
          const name = item.name.slice(this.#prefix.length);
          // Blobs written by other tools may not be valid object names; the repository
          // must never be handed a name it could not pass back.
          try {
            validateObjectName(name);
          } catch {
            continue;
          }
          const modifiedAt = item.properties.lastModified;
          yield {
            name,
            size: item.properties.contentLength ?? 0,
            ...(modifiedAt === undefined ? {} : { modifiedAt }),
          };
        }
      }
    } catch (error) {
      if (azureErrorCode(error) === "ContainerNotFound") return;
      throw toDestinationError(error, "list", prefix);
    }
  }

  async remove(name: string): Promise<void> {
    this.#check(name);
    try {
      await watched(this.#stallMs, `remove ${JSON.stringify(name)}`, undefined, (abortSignal) =>
        this.#container.getBlobClient(this.#prefix + name).deleteIfExists({ abortSignal }),
      );
    } catch (error) {
      if (azureErrorCode(error) === "ContainerNotFound") return;
      throw toDestinationError(error, "remove", name);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}

export function createAzureBlobDestination(options: AzureBlobDestinationOptions): AzureBlobDestination {
  return new AzureBlobDestination(options);
}
