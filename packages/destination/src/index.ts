// @ewsvault/destination — where repository objects are stored: the Destination interface,
// its error codes and an in-memory implementation. Implementations live in destination-* packages.
export type {
  Destination,
  DestinationCapabilities,
  LoadOptions,
  ObjectInfo,
  SaveOptions,
} from "./destination.js";
export { DestinationError, DestinationErrorCodes, isDestinationError } from "./errors.js";
export type { DestinationErrorCode } from "./errors.js";
export { validateObjectName, validateObjectPrefix } from "./object-name.js";
