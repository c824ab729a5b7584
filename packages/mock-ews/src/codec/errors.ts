/**
 * Raised by decodeExportStream for any stream it cannot trust: truncated, bad magic or version,
 * unknown or out-of-order tag, a length running past the end, invalid UTF-8 or enum value,
 * checksum mismatch, trailing bytes. The decoder never returns a partially decoded item.
 */
export class ExportStreamError extends Error {
  readonly code = "CORRUPT_EXPORT_STREAM" as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ExportStreamError";
  }
}

/** Raised by mimeToItem when the input is not a parseable RFC 5322 message. */
export class MimeParseError extends Error {
  readonly code = "INVALID_MIME" as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "MimeParseError";
  }
}

/** Raised by decodeRoamingDictionary for a configuration object's dictionary stream it cannot read. */
export class RoamingDictionaryError extends Error {
  readonly code = "CORRUPT_ROAMING_DICTIONARY" as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RoamingDictionaryError";
  }
}
