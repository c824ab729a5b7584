// Item codecs of the mock EWS server: the ExportItems/UploadItems property stream (a private,
// deterministic, locality-preserving format the backup engine deduplicates) and RFC 5322 MIME
// for MimeContent. Both are pure functions of MockItemData.

export { ExportStreamError, MimeParseError } from "./errors.js";
export { decodeExportStream } from "./export-stream-decode.js";
export { encodeExportStream } from "./export-stream-encode.js";
export { mimeToItem } from "./mime-parse.js";
export { itemToMime } from "./mime-write.js";
