// Issue 17's measurement: the mock's CPU time per exported item. Starts export-server.ts as a
// child process (so only the mock's CPU is counted), exports every item through plain HTTP
// ExportItems requests of 50 items, PASSES times over, and prints items/s and CPU ms per item for
// each pass. Run from the repository root:
//   npx tsx --conditions=source packages/mock-ews/test/bench/export-cpu.ts
// Environment: ITEMS (2000), BODY_BYTES (16384), PASSES (2), GENERATED (1: the generator's items),
// EXPORT_CACHE_BYTES (server default).
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const BATCH = 50;
const passes = Number(process.env.PASSES ?? "2");
const serverScript = fileURLToPath(new URL("./export-server.ts", import.meta.url));
const child = spawn(
  process.execPath,
  [
    ...(process.env.PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.PROFILE_DIR}`] : []),
    "--import",
    "tsx",
    "--conditions=source",
    serverScript,
  ],
  {
    stdio: ["pipe", "pipe", "inherit"],
    env: process.env,
  },
);
const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
const first = await lines.next();
const info = JSON.parse(first.value as string) as {
  url: string;
  username: string;
  password: string;
  mailbox: string;
  ids: string[];
};
const auth = `Basic ${Buffer.from(`${info.username}:${info.password}`).toString("base64")}`;

async function exportBatch(ids: readonly string[]): Promise<number> {
  const body = `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><soap:Header><t:RequestServerVersion Version="Exchange2016"/><t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>${info.mailbox}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation></soap:Header><soap:Body><m:ExportItems><m:ItemIds>${ids.map((id) => `<t:ItemId Id="${id}"/>`).join("")}</m:ItemIds></m:ExportItems></soap:Body></soap:Envelope>`;
  const response = await fetch(info.url, {
    method: "POST",
    body,
    headers: { "content-type": "text/xml; charset=utf-8", authorization: auth },
  });
  const text = await response.text();
  // Items past maxResponseBytes are answered ErrorMessageSizeExceeded: batches stay small.
  const ok = text.split('ResponseClass="Success"').length - 1;
  if (response.status !== 200 || ok !== ids.length) throw new Error(`export failed: ${text.slice(0, 300)}`);
  return text.length;
}

async function serverCpu(): Promise<{ cpuMs: number; systemMs: number }> {
  child.stdin!.write("cpu\n");
  const line = await lines.next();
  return JSON.parse(line.value as string) as { cpuMs: number; systemMs: number };
}

const results: {
  pass: number;
  itemsPerSecond: number;
  serverCpuMsPerItem: number;
  ofWhichSystemMs: number;
}[] = [];
for (let pass = 1; pass <= passes; pass++) {
  const cpuBefore = await serverCpu();
  const started = performance.now();
  for (let at = 0; at < info.ids.length; at += BATCH) await exportBatch(info.ids.slice(at, at + BATCH));
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = await serverCpu();
  const cpu = cpuAfter.cpuMs - cpuBefore.cpuMs;
  results.push({
    pass,
    itemsPerSecond: Math.round(info.ids.length / seconds),
    serverCpuMsPerItem: Number((cpu / info.ids.length).toFixed(4)),
    ofWhichSystemMs: Number(((cpuAfter.systemMs - cpuBefore.systemMs) / info.ids.length).toFixed(4)),
  });
}
child.stdin!.end();
console.log(
  JSON.stringify({
    items: info.ids.length,
    bodyBytes: process.env.GENERATED === "1" ? "generated" : Number(process.env.BODY_BYTES ?? 16384),
    exportCacheBytes: process.env.EXPORT_CACHE_BYTES ?? "default",
    passes: results,
  }),
);
