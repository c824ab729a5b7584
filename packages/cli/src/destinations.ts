// The registry of repository locations: `--repo` is a local path, or a URL whose scheme picks
// a destination package. Packages are imported on demand so a filesystem backup never loads
// the cloud SDKs.
import { resolve } from "node:path";
import type { Destination } from "@ewsvault/destination";
import { CliError, ExitCode } from "./errors.js";

export type DestinationFactory = (location: string, env: NodeJS.ProcessEnv) => Promise<Destination>;

export const destinationFactories: Record<string, DestinationFactory> = {
  async s3(location, env) {
    const { createS3DestinationFromUrl } = await import("@ewsvault/destination-s3");
    return createS3DestinationFromUrl(location, env);
  },
  async azure(location, env) {
    const { createAzureBlobDestinationFromUrl } = await import("@ewsvault/destination-azure-blob");
    return createAzureBlobDestinationFromUrl(location, env);
  },
  async sftp(location, env) {
    const { createSftpDestinationFromUrl } = await import("@ewsvault/destination-sftp");
    return createSftpDestinationFromUrl(location, env);
  },
  async file(location) {
    const { createFsDestination } = await import("@ewsvault/destination-fs");
    return createFsDestination({ root: resolve(location.replace(/^file:(\/\/)?/, "")) });
  },
};

/** `s3:...`, `azure:...`, `sftp:...`, `file:...` or a plain path. */
export async function openDestination(
  location: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Destination> {
  if (location.trim() === "") throw new CliError("REPO_REQUIRED", "--repo is empty", ExitCode.usage);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(location)?.[1]?.toLowerCase();
  // A Windows drive letter ("C:\...") is a path, not a scheme.
  if (scheme === undefined || scheme.length === 1) return destinationFactories.file!(location, env);
  const factory = destinationFactories[scheme];
  if (factory === undefined) {
    throw new CliError(
      "REPO_SCHEME_UNKNOWN",
      `unknown repository scheme "${scheme}:" (known: ${Object.keys(destinationFactories).join(", ")}, or a path)`,
      ExitCode.usage,
    );
  }
  return factory(location, env);
}
