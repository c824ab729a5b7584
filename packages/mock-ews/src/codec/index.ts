// Item codecs of the mock EWS server: the ExportItems/UploadItems property stream (a private,
// deterministic, locality-preserving format the backup engine deduplicates), RFC 5322 MIME
// for MimeContent, and the dictionary stream of configuration objects (MS-OXOCFG). All are pure
// functions of their input.

export { ExportStreamError, MimeParseError, RoamingDictionaryError } from "./errors.js";
export { decodeExportStream } from "./export-stream-decode.js";
export { encodeExportStream } from "./export-stream-encode.js";
export { mimeToItem } from "./mime-parse.js";
export { itemToMime } from "./mime-write.js";
export { decodeRoamingDictionary, encodeRoamingDictionary } from "./roaming-dictionary.js";
