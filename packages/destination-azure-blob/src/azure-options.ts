// The options of an Azure Blob destination and what they resolve to: validated settings, a
// description safe to log (no SAS signature), and the service client for the one credential
// kind given. Kept apart from the storage calls so the class reads as what it does with blobs.
import {
  AnonymousCredential,
  BlobServiceClient,
  type ContainerClient,
  newPipeline,
  type StoragePipelineOptions,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import { integerOption, normalizeKeyPrefix, type RetryOption } from "@ewsvault/destination";

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
  /**
   * Retrying of DEST_TRANSIENT on top of the SDK's own tries (what is still failing after
   * them, stalls included): overrides of the default policy of @ewsvault/destination, or false.
   */
  readonly retry?: RetryOption;
}

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** Strips the query string (where a SAS signature would sit) so the URL is safe to log. */
function safeUrl(url: string): string {
  const at = url.indexOf("?");
  return (at === -1 ? url : url.slice(0, at)).replace(/\/+$/, "");
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

const MiB = 1024 * 1024;
const ACCESS_TIERS = new Set<string>(["Hot", "Cool", "Cold", "Archive"]);

/** What the destination's storage calls need, validated and defaulted. */
export interface AzureSettings {
  readonly container: ContainerClient;
  /** "" or a valid object-name prefix ending in '/'. */
  readonly prefix: string;
  readonly blockSize: number;
  readonly uploadConcurrency: number;
  readonly maxConnections: number;
  readonly tier: AzureAccessTier | undefined;
  readonly immutability: AzureImmutabilityOptions | undefined;
  readonly createContainer: boolean;
  readonly stallMs: number;
  readonly description: string;
}

function validateChoices(options: AzureBlobDestinationOptions): void {
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
}

/** Validates `options` (TypeError for anything malformed), fills in defaults and builds the client. */
export function resolveAzureSettings(options: AzureBlobDestinationOptions): AzureSettings {
  if (typeof options !== "object" || options === null) throw new TypeError("options are required");
  validateChoices(options);
  const prefix = normalizeKeyPrefix(options.prefix);
  const blockSize = integerOption(options.blockSize, 4 * MiB, "blockSize");
  const uploadConcurrency = integerOption(options.uploadConcurrency, 4, "uploadConcurrency");
  const maxConnections = integerOption(options.maxConnections, 16, "maxConnections");
  const maxTries = integerOption(options.maxTries, 4, "maxTries");
  const tryTimeoutMs =
    options.tryTimeoutMs === undefined ? undefined : integerOption(options.tryTimeoutMs, 1, "tryTimeoutMs");
  const stallMs = integerOption(options.stallTimeoutMs, 60_000, "stallTimeoutMs");
  const retryDelayMs = integerOption(options.retryDelayMs, 1000, "retryDelayMs");
  const { client, url } = buildServiceClient(options, {
    retryOptions: {
      maxTries,
      ...(tryTimeoutMs === undefined ? {} : { tryTimeoutInMs: tryTimeoutMs }),
      retryDelayInMs: retryDelayMs,
      maxRetryDelayInMs: Math.max(retryDelayMs, 30_000),
    },
    keepAliveOptions: { enable: true },
  });
  return {
    container: client.getContainerClient(options.container),
    prefix,
    blockSize,
    uploadConcurrency,
    maxConnections,
    tier: options.accessTier,
    immutability: options.immutability,
    createContainer: options.createContainer === true,
    stallMs,
    description: `azure:${safeUrl(url)}/${options.container}/${prefix}`,
  };
}
