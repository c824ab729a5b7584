// A Destination on Azure Blob Storage. Every object is a block blob; uploadData() stages the
// blocks and commits them in one Put Block List (or sends one Put Blob when small), so a blob
// never exists half-written and a failed save leaves at most uncommitted blocks, which are
// invisible to reads and listings and garbage-collected by the service after a week.
// Validation, the closed state, abort and retries come from BaseDestination; options and the
// client from azure-options.ts; stall detection from stall-watch.ts.
import type { BlockBlobClient, BlockBlobTier } from "@azure/storage-blob";
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
import {
  type AzureBlobDestinationOptions,
  type AzureSettings,
  resolveAzureSettings,
} from "./azure-options.js";
import { azureErrorCode, azureStatus, toDestinationError } from "./errors.js";
import { readAll, watched, watchedPages } from "./stall-watch.js";

export class AzureBlobDestination extends BaseDestination {
  readonly description: string;
  readonly capabilities: DestinationCapabilities;
  readonly #settings: AzureSettings;
  #containerReady: Promise<void> | undefined;

  constructor(options: AzureBlobDestinationOptions) {
    super(options?.retry);
    this.#settings = resolveAzureSettings(options);
    this.description = this.#settings.description;
    this.capabilities = Object.freeze({
      maxConnections: this.#settings.maxConnections,
      atomicReplace: true,
      rangedReads: true,
      listAfterWriteConsistent: true,
    });
  }

  #blob(name: string) {
    return this.#settings.container.getBlockBlobClient(this.#settings.prefix + name);
  }

  #ensureContainer(): Promise<void> {
    if (!this.#settings.createContainer) return Promise.resolve();
    if (this.#containerReady === undefined) {
      const ready = watched(this.#settings.stallMs, "create container", undefined, (abortSignal) =>
        this.#settings.container.createIfNotExists({ abortSignal }),
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

  protected async saveObject(name: string, data: Uint8Array, options: SaveOptions): Promise<void> {
    const { blockSize, uploadConcurrency, tier, stallMs, createContainer } = this.#settings;
    await this.#ensureContainer();
    const blob = this.#blob(name);
    const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const upload = () =>
      watched(stallMs, `save ${JSON.stringify(name)}`, options.signal, (abortSignal, touch) =>
        blob.uploadData(body, {
          blockSize,
          maxSingleShotSize: blockSize,
          concurrency: uploadConcurrency,
          abortSignal,
          onProgress: touch,
          conditions: options.exclusive === true ? { ifNoneMatch: "*" } : undefined,
          tier: tier as BlockBlobTier | undefined,
        }),
      );
    try {
      try {
        await upload();
      } catch (error) {
        // A container we created can vanish (deleted by an admin, an emulator restarted
        // without its state); create it again once rather than failing every later save.
        if (!createContainer || azureErrorCode(error) !== "ContainerNotFound") throw error;
        this.#containerReady = undefined;
        await this.#ensureContainer();
        await upload();
      }
    } catch (error) {
      throw this.#saveFailure(error, name, options);
    }
    await this.#applyImmutability(blob, name, options.signal);
  }

  #saveFailure(error: unknown, name: string, options: SaveOptions): unknown {
    const code = azureErrorCode(error);
    const status = azureStatus(error);
    if (
      options.exclusive === true &&
      (status === 409 || status === 412) &&
      (code === "BlobAlreadyExists" || code === "ConditionNotMet" || code === undefined)
    ) {
      return new DestinationError(
        "DEST_ALREADY_EXISTS",
        `azure blob save ${JSON.stringify(name)}: already exists`,
      );
    }
    if (code === "ContainerNotFound") {
      return new DestinationError(
        "DEST_CONFIG",
        `azure blob save ${JSON.stringify(name)}: container does not exist (create it or set createContainer)`,
      );
    }
    return toDestinationError(error, "save", name);
  }

  async #applyImmutability(
    blob: BlockBlobClient,
    name: string,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const immutability = this.#settings.immutability;
    if (immutability === undefined || !(immutability.appliesTo?.(name) ?? true)) return;
    try {
      await watched(
        this.#settings.stallMs,
        `set immutability policy on ${JSON.stringify(name)}`,
        signal,
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

  protected async loadObject(name: string, options: LoadOptions): Promise<Uint8Array> {
    const offset = options.offset ?? 0;
    const length = options.length;
    if (length === 0) {
      // Azure has no empty range; answer from the blob's size so a missing blob or a start
      // past the end still fail the way the contract says.
      resolveLoadRange((await this.statObject(name)).size, options, name);
      return new Uint8Array(0);
    }
    try {
      const bytes = await watched(
        this.#settings.stallMs,
        `load ${JSON.stringify(name)}`,
        options.signal,
        async (abortSignal, touch) => {
          const response = await this.#blob(name).download(offset, length, {
            abortSignal,
            maxRetryRequests: 3,
          });
          return readAll(response.readableStreamBody, response.contentLength ?? -1, touch);
        },
      );
      // Real Azure answers 416 for a start at the end; emulators may send an empty 206 instead.
      if (bytes.length === 0 && offset > 0)
        resolveLoadRange((await this.statObject(name)).size, options, name);
      return bytes;
    } catch (error) {
      // Aborted: BaseDestination rejects with the signal's reason; no point asking for the size.
      if (options.signal?.aborted === true) throw error;
      if (azureStatus(error) === 416 || azureErrorCode(error) === "InvalidRange") {
        // Azure also answers 416 for any range of an empty blob; the shared range rules decide
        // whether that is an empty read or DEST_RANGE_NOT_SATISFIABLE.
        const range = resolveLoadRange((await this.statObject(name)).size, options, name);
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
      throw error;
    }
  }

  protected async statObject(name: string): Promise<ObjectInfo> {
    try {
      const properties = await watched(
        this.#settings.stallMs,
        `stat ${JSON.stringify(name)}`,
        undefined,
        (abortSignal) => this.#blob(name).getProperties({ abortSignal }),
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

  protected async *listObjects(prefix: string): AsyncIterable<ObjectInfo> {
    const { container, prefix: keyPrefix, stallMs } = this.#settings;
    // One signal for the whole listing, armed only while a page is being fetched.
    const controller = new AbortController();
    const pages = container
      .listBlobsFlat({ prefix: keyPrefix + prefix, abortSignal: controller.signal })
      .byPage({ maxPageSize: 5000 });
    try {
      for await (const page of watchedPages(stallMs, `list ${JSON.stringify(prefix)}`, controller, pages)) {
        this.assertOpen();
        for (const item of page.segment.blobItems) {
          const name = item.name.slice(keyPrefix.length);
          // Blobs written by other tools may not be valid object names; the repository
          // must never be handed a name it could not pass back.
          if (!isValidObjectName(name)) continue;
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
      throw error;
    }
  }

  protected async removeObject(name: string): Promise<void> {
    try {
      await watched(this.#settings.stallMs, `remove ${JSON.stringify(name)}`, undefined, (abortSignal) =>
        this.#blob(name).deleteIfExists({ abortSignal }),
      );
    } catch (error) {
      if (azureErrorCode(error) === "ContainerNotFound") return;
      throw error;
    }
  }

  protected async closeStorage(): Promise<void> {}

  protected mapError(error: unknown, operation: string, name: string): DestinationError {
    return toDestinationError(error, operation, name);
  }
}

export function createAzureBlobDestination(options: AzureBlobDestinationOptions): AzureBlobDestination {
  return new AzureBlobDestination(options);
}
