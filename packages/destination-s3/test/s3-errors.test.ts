// The SDK-error-to-code mapping, table-driven over the error shapes the SDK produces.
import { S3ServiceException } from "@aws-sdk/client-s3";
import { DestinationError } from "@ewsvault/destination";
import { describe, expect, it } from "vitest";
import { toDestinationError } from "../src/index.js";

function service(name: string, status: number, message = "server text"): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: status >= 500 ? "server" : "client",
    $metadata: { httpStatusCode: status },
    message,
  });
}

function socket(code: string): Error {
  return Object.assign(new Error(`socket failed: ${code}`), { code });
}

describe("toDestinationError", () => {
  const cases: Array<[string, unknown, string]> = [
    ["NoSuchKey", service("NoSuchKey", 404), "DEST_NOT_FOUND"],
    ["HEAD 404", service("NotFound", 404), "DEST_NOT_FOUND"],
    ["AccessDenied", service("AccessDenied", 403), "DEST_PERMISSION"],
    ["InvalidAccessKeyId", service("InvalidAccessKeyId", 403), "DEST_PERMISSION"],
    ["SignatureDoesNotMatch", service("SignatureDoesNotMatch", 403), "DEST_PERMISSION"],
    ["ExpiredToken", service("ExpiredToken", 400), "DEST_PERMISSION"],
    ["SlowDown", service("SlowDown", 503), "DEST_TRANSIENT"],
    ["ServiceUnavailable", service("ServiceUnavailable", 503), "DEST_TRANSIENT"],
    ["InternalError", service("InternalError", 500), "DEST_TRANSIENT"],
    ["unknown 502", service("Unknown", 502), "DEST_TRANSIENT"],
    ["RequestTimeout", service("RequestTimeout", 400), "DEST_TRANSIENT"],
    ["ECONNRESET", socket("ECONNRESET"), "DEST_TRANSIENT"],
    ["ECONNREFUSED", socket("ECONNREFUSED"), "DEST_TRANSIENT"],
    ["EPIPE", socket("EPIPE"), "DEST_TRANSIENT"],
    [
      "AggregateError of refused connects",
      Object.assign(new AggregateError([socket("ECONNREFUSED"), socket("ECONNREFUSED")]), {
        code: "ECONNREFUSED",
      }),
      "DEST_TRANSIENT",
    ],
    ["SDK TimeoutError", Object.assign(new Error("timed out"), { name: "TimeoutError" }), "DEST_TRANSIENT"],
    ["wrapped reset", new Error("outer", { cause: socket("ECONNRESET") }), "DEST_TRANSIENT"],
    ["EntityTooLarge", service("EntityTooLarge", 400), "DEST_FULL"],
    ["QuotaExceeded", service("QuotaExceeded", 403), "DEST_FULL"],
    ["MinIO full disk", service("XMinioStorageFull", 507), "DEST_FULL"],
    ["PreconditionFailed", service("PreconditionFailed", 412), "DEST_ALREADY_EXISTS"],
    ["InvalidRange", service("InvalidRange", 416), "DEST_RANGE_NOT_SATISFIABLE"],
    ["NoSuchBucket", service("NoSuchBucket", 404), "DEST_CONFIG"],
    ["unknown 400", service("MalformedXML", 400), "DEST_IO"],
    ["a plain Error", new Error("boom"), "DEST_IO"],
  ];

  for (const [label, error, code] of cases) {
    it(`${label} -> ${code}`, () => {
      const mapped = toDestinationError(error, "save", "data/ab/cd");
      expect(mapped).toBeInstanceOf(DestinationError);
      expect(mapped.code).toBe(code);
      expect(mapped.cause).toBe(error);
      expect(mapped.message).not.toMatch(/\n/);
      expect(mapped.message).not.toContain("server text");
      expect(mapped.message).toContain("data/ab/cd");
    });
  }

  it("passes DestinationErrors through unchanged", () => {
    const original = new DestinationError("DEST_CLOSED", "closed");
    expect(toDestinationError(original, "load", "x")).toBe(original);
  });
});
