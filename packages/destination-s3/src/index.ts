// @ewsvault/destination-s3 — stores an ewsvault repository in an S3 bucket, on AWS or any
// S3-compatible server (MinIO, Ceph RGW, Wasabi, Cloudflare R2, Backblaze B2): the
// S3Destination class, its options, and parsing of the CLI's `s3:` repository URLs.
export { createS3Destination, S3Destination } from "./s3-destination.js";
export { toDestinationError } from "./s3-errors.js";
export type { S3Credentials, S3DestinationOptions, S3ObjectLockOptions } from "./s3-options.js";
export type { ParsedS3Url } from "./s3-url.js";
export { createS3DestinationFromUrl, parseS3Url } from "./s3-url.js";
