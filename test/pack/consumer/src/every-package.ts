// The published packages consumer.ts does not use, loaded from the installed tarballs: each
// one's entry point must import (its third-party dependencies resolved from npm, ssh2 without
// its optional native binding) and its types must check under the consumer's strict tsconfig.
// Nothing here needs a server: URL parsing, the in-memory destination, the CLI's version.
// Prints one JSON line (EveryPackageResult).
import { VERSION } from "@ewsvault/cli";
import { createMemoryDestination, type Destination, isDestinationError } from "@ewsvault/destination";
import { type AzureBlobUrl, parseAzureBlobUrl } from "@ewsvault/destination-azure-blob";
import { type ParsedS3Url, parseS3Url } from "@ewsvault/destination-s3";
import { parseSftpUrl, type SftpUrl } from "@ewsvault/destination-sftp";

export interface EveryPackageResult {
  readonly cliVersion: string;
  readonly memoryRoundTrip: string;
  readonly notFoundCode: string;
  readonly s3: ParsedS3Url;
  readonly azure: AzureBlobUrl;
  readonly sftp: SftpUrl;
}

const memory: Destination = createMemoryDestination();
await memory.save("config", new TextEncoder().encode("hello"));
const memoryRoundTrip = new TextDecoder().decode(await memory.load("config"));
let notFoundCode = "no error";
try {
  await memory.load("absent");
} catch (error) {
  notFoundCode = isDestinationError(error) ? error.code : String(error);
}
await memory.close();

const result: EveryPackageResult = {
  cliVersion: VERSION,
  memoryRoundTrip,
  notFoundCode,
  s3: parseS3Url("s3:https://minio.example:9000/backups/exchange"),
  azure: parseAzureBlobUrl("azure:account/container/exchange"),
  sftp: parseSftpUrl("sftp:backup@sftp.example:2222/srv/exchange"),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
