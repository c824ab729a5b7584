// `s3:` repository URLs and option validation: no server needed.
import { isDestinationError } from "@ewsvault/destination";
import { describe, expect, it } from "vitest";
import { createS3Destination, createS3DestinationFromUrl, parseS3Url } from "../src/index.js";

function configError(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    expect(isDestinationError(error, "DEST_CONFIG")).toBe(true);
    return error as Error;
  }
  throw new Error("expected DEST_CONFIG");
}

describe("parseS3Url", () => {
  it("parses endpoint URLs with path-style addressing", () => {
    expect(parseS3Url("s3:https://minio.example.com:9000/backups/ews/tenant-a")).toEqual({
      endpoint: "https://minio.example.com:9000",
      bucket: "backups",
      prefix: "ews/tenant-a",
      forcePathStyle: true,
    });
    expect(parseS3Url("s3:http://127.0.0.1:9000/bucket")).toEqual({
      endpoint: "http://127.0.0.1:9000",
      bucket: "bucket",
      prefix: "",
      forcePathStyle: true,
    });
    expect(parseS3Url("s3:https://s3.eu-central-1.wasabisys.com/my-bucket/repo/").prefix).toBe("repo");
  });

  it("parses AWS forms without an endpoint", () => {
    expect(parseS3Url("s3:my-bucket/ewsvault/prod")).toEqual({
      bucket: "my-bucket",
      prefix: "ewsvault/prod",
      forcePathStyle: false,
    });
    expect(parseS3Url("s3://my-bucket")).toEqual({ bucket: "my-bucket", prefix: "", forcePathStyle: false });
  });

  it("rejects malformed URLs with DEST_CONFIG", () => {
    for (const bad of [
      "s3:",
      "s3:B",
      "s3:Upper_Case/x",
      "s3:bucket/../x",
      "s3:bucket//x",
      "s3:https://host/",
      "s3:https://host:9000/bucket/x?region=eu",
      "file:/tmp/x",
      "s3:ftp://host/bucket",
    ]) {
      configError(() => parseS3Url(bad));
    }
    expect(() => parseS3Url(42 as unknown as string)).toThrow(TypeError);
  });

  it("refuses credentials in the URL without repeating them", () => {
    const error = configError(() => parseS3Url("s3:https://AKIAEXAMPLE:sup3rs3cret@host:9000/bucket/x"));
    expect(error.message).not.toContain("sup3rs3cret");
    expect(error.message).not.toContain("AKIAEXAMPLE");
    const aws = configError(() => parseS3Url("s3:AKIAEXAMPLE:sup3rs3cret@bucket/x"));
    expect(aws.message).not.toContain("sup3rs3cret");
  });
});

describe("createS3DestinationFromUrl", () => {
  it("takes credentials and region from the environment and keeps them out of the description", async () => {
    const env = {
      AWS_ACCESS_KEY_ID: "AKIAENVEXAMPLE000001",
      AWS_SECRET_ACCESS_KEY: "env-secret-value-that-must-not-leak-00001",
      AWS_SESSION_TOKEN: "session-token-that-must-not-leak",
      AWS_REGION: "eu-central-1",
    };
    const dest = createS3DestinationFromUrl("s3:https://minio.local:9000/bkt/repo", env);
    expect(dest.description).toBe("s3 https://minio.local:9000 bucket bkt prefix repo/");
    for (const secret of Object.values(env)) expect(dest.description).not.toContain(secret);
    expect(dest.capabilities).toEqual({
      maxConnections: 16,
      atomicReplace: true,
      rangedReads: true,
      listAfterWriteConsistent: true,
    });
    await dest.close();
    const aws = createS3DestinationFromUrl("s3:bkt", {}, { maxConnections: 4 });
    expect(aws.description).toBe("s3 aws bucket bkt");
    expect(aws.capabilities.maxConnections).toBe(4);
    await aws.close();
  });

  it("refuses half a key pair", () => {
    configError(() => createS3DestinationFromUrl("s3:bkt/x", { AWS_ACCESS_KEY_ID: "AKIAONLY" }));
  });
});

describe("createS3Destination options", () => {
  it("treats impossible options as programmer mistakes (TypeError)", () => {
    const base = { bucket: "bkt", endpoint: "http://127.0.0.1:9" };
    for (const bad of [
      { bucket: "" },
      { bucket: "a/b" },
      { ...base, prefix: "../x" },
      { ...base, partSize: 1024 },
      { ...base, maxConnections: 0 },
      { ...base, listPageSize: 5000 },
      { ...base, endpoint: "not a url" },
      { ...base, exclusiveCreate: "maybe" as "if-none-match" },
    ]) {
      expect(() => createS3Destination(bad), JSON.stringify(bad)).toThrow(TypeError);
    }
  });

  it("normalizes the key prefix", async () => {
    const dest = createS3Destination({ bucket: "bkt", prefix: "/a/b/", endpoint: "http://127.0.0.1:9" });
    expect(dest.description).toBe("s3 http://127.0.0.1:9 bucket bkt prefix a/b/");
    await dest.close();
  });
});
