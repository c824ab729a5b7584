// Starts Azurite's blob service from the npm devDependency as a child process on a free
// loopback port. stop()/start() keep the port and the data directory, so fault tests can take
// the server away mid-request and bring the same storage back.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { freePort, tempDir, waitForPort } from "@ewsvault/testkit";

/** Azurite's fixed development account (public, documented by Microsoft). */
export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface AzuriteServer {
  readonly port: number;
  readonly accountUrl: string;
  readonly connectionString: string;
  readonly location: string;
  stop(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOPs (true) or SIGCONTs (false) Azurite: a server that accepts nothing and answers nothing. */
  freeze(frozen: boolean): void;
  cleanup(): Promise<void>;
}

function azuriteMain(): string {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve("azurite/package.json");
  const bin = (JSON.parse(readFileSync(packageJson, "utf8")) as { bin: Record<string, string> }).bin[
    "azurite-blob"
  ];
  if (bin === undefined) throw new Error("azurite has no azurite-blob bin");
  return join(dirname(packageJson), bin);
}

export interface AzuriteOptions {
  /** Serve HTTPS with this certificate and key (PEM file paths). */
  readonly tls?: { readonly certPath: string; readonly keyPath: string };
  /** Accept bearer tokens (Azurite checks issuer, audience and lifetime, not signatures); needs tls. */
  readonly oauth?: boolean;
}

export async function startAzurite(options: AzuriteOptions = {}): Promise<AzuriteServer> {
  const dir = await tempDir("ewsvault-azurite-");
  const port = await freePort();
  const main = azuriteMain();
  let child: ChildProcess | undefined;
  let output = "";

  const start = async (): Promise<void> => {
    const proc = spawn(
      process.execPath,
      [
        main,
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        String(port),
        "--location",
        dir.path,
        "--silent",
        "--skipApiVersionCheck",
        "--loose",
        "--disableTelemetry",
        ...(options.tls === undefined ? [] : ["--cert", options.tls.certPath, "--key", options.tls.keyPath]),
        ...(options.oauth === true ? ["--oauth", "basic"] : []),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    child = proc;
    proc.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    proc.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<never>((_, reject) => {
      proc.once("exit", (code) => reject(new Error(`azurite exited with ${code}: ${output.slice(-2000)}`)));
    });
    exited.catch(() => undefined);
    await Promise.race([waitForPort(port, "127.0.0.1", 30_000), exited]);
  };

  const stop = async (signal: NodeJS.Signals = "SIGTERM"): Promise<void> => {
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    await gone;
    clearTimeout(timer);
  };

  await start();
  const accountUrl = `${options.tls === undefined ? "http" : "https"}://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  return {
    port,
    accountUrl,
    connectionString: `DefaultEndpointsProtocol=${options.tls === undefined ? "http" : "https"};AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${accountUrl};`,
    location: dir.path,
    stop,
    start,
    freeze: (frozen: boolean) => {
      child?.kill(frozen ? "SIGSTOP" : "SIGCONT");
    },
    cleanup: async () => {
      child?.kill("SIGCONT");
      await stop();
      await dir.cleanup();
    },
  };
}
