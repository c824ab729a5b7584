// The CLI names repositories with one string (`--repo azure:...`). Parsing it here keeps the
// CLI free of Azure knowledge; credentials never appear in the URL, they come from the
// environment variables the Azure tools already use.
import { DestinationError, validateObjectName } from "@ewsvault/destination";
import { type AzureBlobDestination, createAzureBlobDestination } from "./azure-blob-destination.js";
import type { AzureBlobDestinationOptions } from "./azure-options.js";

export interface AzureBlobUrl {
  readonly accountName: string;
  /** Blob service endpoint without a trailing slash. */
  readonly accountUrl: string;
  readonly container: string;
  /** Blob name prefix ("" for the container root), without leading or trailing '/'. */
  readonly prefix: string;
}

function splitPath(path: string): string[] {
  return path.split("/").filter((segment) => segment !== "");
}

const CONTAINER = /^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$/;

function checked(url: AzureBlobUrl): AzureBlobUrl {
  if (!CONTAINER.test(url.container)) {
    throw new DestinationError(
      "DEST_CONFIG",
      `invalid container name in azure: URL: ${JSON.stringify(url.container)}`,
    );
  }
  if (url.prefix !== "") {
    try {
      validateObjectName(url.prefix);
    } catch {
      throw new DestinationError(
        "DEST_CONFIG",
        `invalid prefix in azure: URL: ${JSON.stringify(url.prefix)}`,
      );
    }
  }
  return url;
}

/**
 * Parses a repository URL:
 * - `azure:<account>/<container>[/<prefix>]` — public Azure (https://<account>.blob.core.windows.net)
 * - `azure:https://<account>.blob.core.windows.net/<container>[/<prefix>]` — any host-style endpoint
 * - `azure:http://127.0.0.1:10000/<account>/<container>[/<prefix>]` — path-style (Azurite and other emulators)
 * Throws DEST_CONFIG when the URL does not have that shape.
 */
export function parseAzureBlobUrl(url: string): AzureBlobUrl {
  if (typeof url !== "string" || !url.startsWith("azure:")) {
    throw new DestinationError("DEST_CONFIG", `not an azure: repository URL: ${JSON.stringify(url)}`);
  }
  const rest = url.slice("azure:".length);
  const bad = (why: string) =>
    new DestinationError("DEST_CONFIG", `invalid azure: repository URL (${why}); expected ${EXPECTED}`);
  if (/^https?:\/\//.test(rest)) {
    let parsed: URL;
    try {
      parsed = new URL(rest);
    } catch {
      throw bad("unparsable endpoint");
    }
    if (parsed.search !== "" || parsed.username !== "" || parsed.password !== "") {
      throw bad("credentials belong in environment variables, not in the URL");
    }
    const segments = splitPath(parsed.pathname);
    const hostStyle = /^[a-z0-9]+\.blob\./.test(parsed.hostname);
    const origin = `${parsed.protocol}//${parsed.host}`;
    if (hostStyle) {
      const [container, ...prefix] = segments;
      if (container === undefined) throw bad("no container");
      const accountName = parsed.hostname.slice(0, parsed.hostname.indexOf("."));
      return checked({ accountName, accountUrl: origin, container, prefix: prefix.join("/") });
    }
    const [accountName, container, ...prefix] = segments;
    if (accountName === undefined || container === undefined) throw bad("no account or container");
    return checked({
      accountName,
      accountUrl: `${origin}/${accountName}`,
      container,
      prefix: prefix.join("/"),
    });
  }
  const [accountName, container, ...prefix] = splitPath(rest.replace(/^\/\//, ""));
  if (accountName === undefined || container === undefined) throw bad("no account or container");
  if (!/^[a-z0-9]{3,24}$/.test(accountName)) throw bad(`invalid account name ${JSON.stringify(accountName)}`);
  return checked({
    accountName,
    accountUrl: `https://${accountName}.blob.core.windows.net`,
    container,
    prefix: prefix.join("/"),
  });
}

const EXPECTED = "azure:<account>/<container>[/<prefix>] or azure:<endpoint URL>/<container>[/<prefix>]";

/**
 * Builds a destination from a repository URL and the environment. Credentials, first match wins:
 * AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_KEY (shared key of the URL's account),
 * AZURE_STORAGE_SAS_TOKEN. `extra` adds options the URL cannot carry (e.g. a TokenCredential,
 * which then replaces the environment lookup). Throws DEST_CONFIG when no credential is found.
 */
export function createAzureBlobDestinationFromUrl(
  url: string,
  env: Record<string, string | undefined> = process.env,
  extra: Partial<AzureBlobDestinationOptions> = {},
): AzureBlobDestination {
  const parsed = parseAzureBlobUrl(url);
  const base = { container: parsed.container, prefix: parsed.prefix };
  if (extra.credential !== undefined) {
    return createAzureBlobDestination({ ...base, accountUrl: parsed.accountUrl, ...extra });
  }
  const connectionString = env.AZURE_STORAGE_CONNECTION_STRING;
  if (connectionString !== undefined && connectionString !== "") {
    const named = /(?:^|;)\s*AccountName=([^;]+)/i.exec(connectionString)?.[1];
    if (named !== undefined && named !== parsed.accountName) {
      throw new DestinationError(
        "DEST_CONFIG",
        `AZURE_STORAGE_CONNECTION_STRING is for account ${JSON.stringify(named)}, the URL names ${JSON.stringify(
          parsed.accountName,
        )}`,
      );
    }
    return createAzureBlobDestination({ ...base, connectionString, ...extra });
  }
  const accountKey = env.AZURE_STORAGE_KEY;
  if (accountKey !== undefined && accountKey !== "") {
    return createAzureBlobDestination({
      ...base,
      accountUrl: parsed.accountUrl,
      accountName: parsed.accountName,
      accountKey,
      ...extra,
    });
  }
  const sasToken = env.AZURE_STORAGE_SAS_TOKEN;
  if (sasToken !== undefined && sasToken !== "") {
    return createAzureBlobDestination({ ...base, accountUrl: parsed.accountUrl, sasToken, ...extra });
  }
  throw new DestinationError(
    "DEST_CONFIG",
    `no Azure credential for ${parsed.accountName}: set AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN`,
  );
}
