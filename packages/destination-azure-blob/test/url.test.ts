// Repository URL parsing and option validation: no server needed.
import { isDestinationError } from "@ewsvault/destination";
import { describe, expect, it } from "vitest";
import {
  createAzureBlobDestination,
  createAzureBlobDestinationFromUrl,
  parseAzureBlobUrl,
} from "../src/index.js";

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return isDestinationError(error) ? error.code : (error as Error).name;
  }
  return undefined;
}

describe("parseAzureBlobUrl", () => {
  it("reads account, container and prefix from the short form", () => {
    expect(parseAzureBlobUrl("azure:myacct/backups/tenant-a/repo")).toEqual({
      accountName: "myacct",
      accountUrl: "https://myacct.blob.core.windows.net",
      container: "backups",
      prefix: "tenant-a/repo",
    });
    expect(parseAzureBlobUrl("azure:myacct/backups")).toMatchObject({ container: "backups", prefix: "" });
  });

  it("reads path-style emulator endpoints and host-style endpoints", () => {
    expect(parseAzureBlobUrl("azure:http://127.0.0.1:10000/devstoreaccount1/cont1/p/q")).toEqual({
      accountName: "devstoreaccount1",
      accountUrl: "http://127.0.0.1:10000/devstoreaccount1",
      container: "cont1",
      prefix: "p/q",
    });
    expect(parseAzureBlobUrl("azure:https://acct2.blob.core.usgovcloudapi.net/cont2/")).toEqual({
      accountName: "acct2",
      accountUrl: "https://acct2.blob.core.usgovcloudapi.net",
      container: "cont2",
      prefix: "",
    });
  });

  it("refuses malformed URLs and credentials in the URL with DEST_CONFIG", () => {
    for (const bad of [
      "s3:bucket/x",
      "azure:",
      "azure:acct",
      "azure:UPPER/c",
      "azure:https://acct.blob.core.windows.net/c?sig=abc",
      "azure:http://user:pw@127.0.0.1:10000/devstoreaccount1/c",
      "azure:http://127.0.0.1:10000/devstoreaccount1",
      "azure:acct/x",
      "azure:acct/Upper",
      "azure:acct/cont/../x",
    ]) {
      expect(
        codeOf(() => parseAzureBlobUrl(bad)),
        bad,
      ).toBe("DEST_CONFIG");
    }
  });
});

describe("createAzureBlobDestinationFromUrl", () => {
  it("needs a credential from the environment", () => {
    expect(codeOf(() => createAzureBlobDestinationFromUrl("azure:acct/cont/p", {}))).toBe("DEST_CONFIG");
  });

  it("refuses a connection string for another account", () => {
    const env = {
      AZURE_STORAGE_CONNECTION_STRING: "AccountName=other;AccountKey=a2V5;EndpointSuffix=core.windows.net",
    };
    expect(codeOf(() => createAzureBlobDestinationFromUrl("azure:acct/cont/p", env))).toBe("DEST_CONFIG");
  });

  it("uses a SAS token and keeps it out of the description", () => {
    const destination = createAzureBlobDestinationFromUrl("azure:acct/cont/p", {
      AZURE_STORAGE_SAS_TOKEN: "?sv=2024-01-01&sig=SECRETSIG",
    });
    expect(destination.description).toBe("azure:https://acct.blob.core.windows.net/cont/p/");
    expect(destination.description).not.toContain("SECRETSIG");
    expect(destination.capabilities).toEqual({
      maxConnections: 16,
      atomicReplace: true,
      rangedReads: true,
      listAfterWriteConsistent: true,
    });
  });

  it("keeps a SAS from a connection string out of the description", () => {
    const destination = createAzureBlobDestinationFromUrl("azure:acct/cont", {
      AZURE_STORAGE_CONNECTION_STRING:
        "BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature=sv=2024-01-01&sig=SECRETSIG",
    });
    expect(destination.description).toBe("azure:https://acct.blob.core.windows.net/cont/");
  });

  it("accepts any TokenCredential-shaped object", () => {
    const credential = { getToken: async () => ({ token: "t", expiresOnTimestamp: Date.now() + 60_000 }) };
    const destination = createAzureBlobDestinationFromUrl("azure:acct/cont", {}, { credential });
    expect(destination.description).toBe("azure:https://acct.blob.core.windows.net/cont/");
  });
});

describe("createAzureBlobDestination options", () => {
  const base = { accountName: "acct", accountKey: "a2V5", container: "cont1" };

  it("throws TypeError for programmer mistakes", () => {
    expect(codeOf(() => createAzureBlobDestination({ ...base, container: "Bad_Name" }))).toBe("TypeError");
    expect(codeOf(() => createAzureBlobDestination({ ...base, sasToken: "sv=1" }))).toBe("TypeError");
    expect(codeOf(() => createAzureBlobDestination({ container: "cont1" }))).toBe("TypeError");
    expect(codeOf(() => createAzureBlobDestination({ ...base, blockSize: 0 }))).toBe("TypeError");
    expect(codeOf(() => createAzureBlobDestination({ ...base, prefix: "../x" }))).toBe("TypeError");
    expect(
      codeOf(() => createAzureBlobDestination({ ...base, accessTier: "Frozen" as unknown as "Hot" })),
    ).toBe("TypeError");
    expect(codeOf(() => createAzureBlobDestination({ ...base, immutability: { retentionDays: 0 } }))).toBe(
      "TypeError",
    );
  });

  it("refuses plain http to a remote host unless allowed", () => {
    const remote = { ...base, accountUrl: "http://storage.example.com/acct" };
    expect(codeOf(() => createAzureBlobDestination(remote))).toBe("TypeError");
    expect(codeOf(() => createAzureBlobDestination({ ...remote, allowInsecureHttp: true }))).toBeUndefined();
    expect(codeOf(() => createAzureBlobDestination({ ...base, accountUrl: "http://127.0.0.1:1/acct" }))).toBe(
      undefined,
    );
  });

  it("reflects maxConnections and the prefix in capabilities and description", () => {
    const destination = createAzureBlobDestination({ ...base, prefix: "/a/b/", maxConnections: 3 });
    expect(destination.capabilities.maxConnections).toBe(3);
    expect(destination.description).toBe("azure:https://acct.blob.core.windows.net/cont1/a/b/");
  });
});
