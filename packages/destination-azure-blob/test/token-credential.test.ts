// Microsoft Entra ID (TokenCredential) authentication end to end: Azurite over HTTPS with its
// OAuth check switched on, and a client process that trusts the test's self-signed certificate.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { selfSignedCert, tempDir } from "@ewsvault/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AzuriteServer, startAzurite } from "./azurite-server.js";

const workspace = fileURLToPath(new URL("../../..", import.meta.url));
const client = fileURLToPath(new URL("./fixtures/token-client.ts", import.meta.url));

let server: AzuriteServer;
let certDir: { path: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  certDir = await tempDir("ewsvault-azurite-tls-");
  const { certPath, keyPath } = selfSignedCert(certDir.path);
  server = await startAzurite({ tls: { certPath, keyPath }, oauth: true });
});

afterAll(async () => {
  await server?.cleanup();
  await certDir?.cleanup();
});

interface Outcome {
  ok: boolean;
  code?: string;
  message?: string;
  back?: number[];
  names?: string[];
  scopes?: unknown[];
  description?: string;
}

async function runClient(mode: "valid" | "expired", trustCertificate = true): Promise<Outcome> {
  const env = { ...process.env };
  if (trustCertificate) env.NODE_EXTRA_CA_CERTS = join(certDir.path, "cert.pem");
  else delete env.NODE_EXTRA_CA_CERTS;
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--conditions=source", client, server.accountUrl, mode],
    { cwd: workspace, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  const line = stdout.trim().split("\n").pop() ?? "";
  if (code !== 0 || !line.startsWith("{")) throw new Error(`client exited ${code}: ${stderr.slice(-2000)}`);
  return JSON.parse(line) as Outcome;
}

describe("azure blob with a TokenCredential (Azurite, HTTPS, OAuth)", () => {
  it("a valid bearer token saves, loads and lists; the storage scope is requested", async () => {
    const outcome = await runClient("valid");
    expect(outcome).toMatchObject({ ok: true, back: [4, 5, 6], names: ["x/y"] });
    expect(JSON.stringify(outcome.scopes)).toContain("https://storage.azure.com/.default");
    expect(outcome.description).toBe(`azure:${server.accountUrl}/entra/valid/`);
  }, 60_000);

  it("an expired token is DEST_PERMISSION without the token in the message", async () => {
    const outcome = await runClient("expired");
    expect(outcome.ok).toBe(false);
    expect(outcome.code).toBe("DEST_PERMISSION");
    expect(outcome.message).not.toMatch(/eyJ/);
  }, 60_000);

  it("TLS verification stays on: an untrusted certificate is refused", async () => {
    const outcome = await runClient("valid", false);
    expect(outcome.ok).toBe(false);
    expect(outcome.code).toBe("DEST_CONFIG");
    expect(outcome.message).toMatch(/SELF_SIGNED_CERT/);
  }, 60_000);
});
