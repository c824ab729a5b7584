// @ewsvault/cli — the `ewsvault` command. Importable for tests and for products that want to
// run a CLI command in-process; the destination registry is open for more schemes.
export { type DestinationFactory, destinationFactories, openDestination } from "./destinations.js";
export { CliError, ExitCode } from "./errors.js";
export { main, VERSION } from "./main.js";
