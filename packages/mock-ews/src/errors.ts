// Errors of the mock server. MockEwsError carries a stable `code`; EwsResponseError is thrown
// inside an operation and becomes an EWS response message with ResponseClass="Error" and its
// `code` as the ResponseCode (the codes are Exchange's own ResponseCodeType values).

export type MockEwsErrorCode =
  | "XML_DTD_REJECTED"
  | "XML_MALFORMED"
  | "SOAP_INVALID_REQUEST"
  | "REQUEST_TOO_LARGE"
  | "INVALID_OPTIONS"
  | "TLS_UNAVAILABLE"
  | "NOT_FOUND"
  | string;

export class MockEwsError extends Error {
  readonly code: MockEwsErrorCode;
  constructor(code: MockEwsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "MockEwsError";
    this.code = code;
  }
}

/** An EWS ResponseCode error (ErrorItemNotFound, ErrorInvalidSyncStateData, ...). */
export class EwsResponseError extends MockEwsError {
  /** Extra `<m:MessageXml>` content (already XML), e.g. BackOffMilliseconds for ErrorServerBusy. */
  readonly messageXml: string | undefined;
  constructor(code: string, message: string, messageXml?: string) {
    super(code, message);
    this.name = "EwsResponseError";
    this.messageXml = messageXml;
  }
}

/** Thrown inside an operation when Exchange answers the whole request with a SOAP fault (HTTP 500). */
export class SoapFaultError extends MockEwsError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = "SoapFaultError";
  }
}
