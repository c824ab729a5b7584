// Housekeeping calls an S3 destination offers beyond the Destination interface: finding out
// whether the server honours create-only writes, and aborting multipart uploads that were cut
// off. Plain functions over a client and a key prefix, so the destination class stays the
// storage calls of the contract.
import { randomUUID } from "node:crypto";
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { toDestinationError } from "./s3-errors.js";

/** The bucket and key prefix a maintenance call works in. */
export interface S3Place {
  readonly client: S3Client;
  readonly bucket: string;
  readonly keyPrefix: string;
}

/**
 * Writes a probe object twice create-only under `.ewsvault-probe/` and removes it: true when the
 * second write was refused (the server honours `If-None-Match: *`).
 */
export async function probeConditionalWrites({ client, bucket, keyPrefix }: S3Place): Promise<boolean> {
  const key = `${keyPrefix}.ewsvault-probe/${randomUUID()}`;
  const put = (body: Uint8Array) =>
    client.send(
      new PutObjectCommand({
        Bucket: bucket,
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
  } finally {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => {});
  }
}

/** Aborts the multipart uploads under `keyPrefix` started before `cutoff` (ms since the epoch); returns how many. */
export async function abortIncompleteUploads(
  { client, bucket, keyPrefix }: S3Place,
  cutoff: number,
): Promise<number> {
  let aborted = 0;
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const page = await client.send(
      new ListMultipartUploadsCommand({
        Bucket: bucket,
        Prefix: keyPrefix || undefined,
        KeyMarker: keyMarker,
        UploadIdMarker: uploadIdMarker,
      }),
    );
    for (const upload of page.Uploads ?? []) {
      if (upload.Key === undefined || upload.UploadId === undefined) continue;
      if (!upload.Key.startsWith(keyPrefix)) continue;
      if (upload.Initiated !== undefined && upload.Initiated.getTime() > cutoff) continue;
      try {
        await client.send(
          new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }),
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
}
