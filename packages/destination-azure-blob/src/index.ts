// @ewsvault/destination-azure-blob — stores repository objects as block blobs in an Azure
// Storage container (or an emulator such as Azurite), and turns `azure:` repository URLs plus
// the usual AZURE_STORAGE_* environment variables into a configured destination.
export { AzureBlobDestination, createAzureBlobDestination } from "./azure-blob-destination.js";
export type {
  AzureAccessTier,
  AzureBlobDestinationOptions,
  AzureImmutabilityOptions,
  AzureTokenCredential,
} from "./azure-options.js";
export { type AzureBlobUrl, createAzureBlobDestinationFromUrl, parseAzureBlobUrl } from "./url.js";
