// `--repo s3:...` URLs for the CLI. Credentials never travel in the URL (it ends up in shell
// history, process lists and logs); they come from the AWS environment variables or the SDK's
// provider chain instead.
import { DestinationError, validateObjectName } from "@ewsvault/destination";
import { S3Destination } from "./s3-destination.js";
import type { S3DestinationOptions } from "./s3-options.js";

export interface ParsedS3Url {
  /** Endpoint origin for S3-compatible servers; undefined means AWS. */
  readonly endpoint?: string;
  readonly bucket: string;
  /** Key prefix inside the bucket, without leading or trailing '/'; "" for the bucket root. */
  readonly prefix: string;
  /** True for endpoint URLs: self-hosted servers rarely have wildcard DNS for bucket subdomains. */
  readonly forcePathStyle: boolean;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function configError(message: string): DestinationError {
  return new DestinationError("DEST_CONFIG", `invalid s3 repository URL: ${message}`);
}

function splitBucketAndPrefix(path: string): { bucket: string; prefix: string } {
  const trimmed = path.replace(/^\/+/, "").replace(/\/+$/, "");
  const slash = trimmed.indexOf("/");
  const bucket = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const prefix = slash === -1 ? "" : trimmed.slice(slash + 1);
  if (!BUCKET.test(bucket)) throw configError(`"${bucket}" is not a valid bucket name`);
  if (prefix !== "") {
    try {
      validateObjectName(prefix);
    } catch {
      throw configError("the key prefix must be '/'-separated segments of [A-Za-z0-9._@+=-]");
    }
  }
  return { bucket, prefix };
}

/**
 * Parses `s3:https://host:port/bucket/prefix` (S3-compatible endpoint, path-style addressing),
 * `s3:bucket/prefix` and `s3://bucket/prefix` (AWS). Throws DestinationError DEST_CONFIG for
 * anything else, including URLs that carry credentials — without echoing them.
 */
export function parseS3Url(url: string): ParsedS3Url {
  if (typeof url !== "string") throw new TypeError("url must be a string");
  if (!url.startsWith("s3:")) throw configError('it must start with "s3:"');
  const rest = url.slice(3);
  if (rest.startsWith("http://") || rest.startsWith("https://")) {
    let parsed: URL;
    try {
      parsed = new URL(rest);
    } catch {
      throw configError("the endpoint is not a valid URL");
    }
    if (parsed.username !== "" || parsed.password !== "") {
      throw configError(
        "credentials in the URL are not accepted; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
      );
    }
    if (parsed.search !== "" || parsed.hash !== "")
      throw configError("query strings and fragments are not used");
    return {
      endpoint: parsed.origin,
      ...splitBucketAndPrefix(decodeURIComponent(parsed.pathname)),
      forcePathStyle: true,
    };
  }
  const path = rest.startsWith("//") ? rest.slice(2) : rest;
  if (path.includes("@") || path.includes("?") || path.includes("#")) {
    throw configError("expected s3:bucket/prefix or s3:https://host:port/bucket/prefix");
  }
  return { ...splitBucketAndPrefix(path), forcePathStyle: false };
}

/**
 * Builds a destination from an `s3:` URL. Credentials come from AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN in `env` when both key variables are set, else from
 * the SDK's standard chain (profiles, SSO, instance roles); the region from AWS_REGION or
 * AWS_DEFAULT_REGION, else "us-east-1". `overrides` adds or replaces any other option.
 */
export function createS3DestinationFromUrl(
  url: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  overrides: Partial<S3DestinationOptions> = {},
): S3Destination {
  const parsed = parseS3Url(url);
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new DestinationError(
      "DEST_CONFIG",
      "set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither to use the standard AWS credential chain",
    );
  }
  const options: S3DestinationOptions = {
    bucket: parsed.bucket,
    prefix: parsed.prefix,
    forcePathStyle: parsed.forcePathStyle,
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1",
    ...(parsed.endpoint === undefined ? {} : { endpoint: parsed.endpoint }),
    ...(accessKeyId !== undefined && secretAccessKey !== undefined
      ? {
          credentials: {
            accessKeyId,
            secretAccessKey,
            ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
          },
        }
      : {}),
    ...overrides,
  };
  return new S3Destination(options);
}
