// @ewsvault/destination-fs — a Destination on a local or mounted file system: objects are files
// under a root directory, written with temp file + fsync + rename so a crash or a full disk never
// leaves a torn object behind.

export type { FsDestinationOptions, FsLayer } from "./fs-destination.js";
export { createFsDestination, FsDestination } from "./fs-destination.js";
