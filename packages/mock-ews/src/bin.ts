#!/usr/bin/env node
// mock-ews: runs the mock EWS server until SIGINT/SIGTERM. The first stdout line is one JSON
// object with the URL, the credentials and the mailboxes; the password appears nowhere else.
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import {
  authSchemes,
  DEFAULTS,
  FAULT_KINDS,
  type FaultKind,
  type FaultRule,
  type MockEwsServerOptions,
  startMockEwsServer,
} from "./index.js";

const HELP = `Usage: mock-ews [options]

Serves generated Exchange mailboxes over EWS (SOAP) until SIGINT/SIGTERM. Prints one JSON line
{"url","username","password","mailboxes"} first; that user may impersonate every mailbox.

Options (default in brackets):
  --port N                   TCP port, 0 = any free port [${DEFAULTS.port}]
  --host ADDR                listen address [${DEFAULTS.host}]
  --tls                      serve HTTPS with a self-signed certificate [off]
  --auth LIST                schemes offered, comma-separated: basic, ntlm, negotiate, bearer
                             (one WWW-Authenticate header each, in this order) [basic]
  --extended-protection      require the NTLM channel binding of the server's certificate
                             (Exchange's Extended Protection = Require); needs --tls [off]
  --seed N                   generator seed [${DEFAULTS.seed}]
  --mailboxes N              generated mailboxes [${DEFAULTS.mailboxes}]
  --items N                  items per mailbox [${DEFAULTS.itemsPerMailbox}]
  --domain NAME              SMTP domain [contoso.test]
  --public-items N           items in the public folders [generator default: 20]
  --no-associated-items      leave out the folder-associated items (rules, views, configuration)
                             seeded in every Inbox and Calendar, as Exchange has them [seeded]
  --username NAME            account name [ewsadmin@<domain>]
  (the account password is MOCK_EWS_PASSWORD from the environment, else random; a password on
  the command line would show in the process list)
  --latency-ms N             delay before every response [${DEFAULTS.latencyMs}]
  --bandwidth N              response bytes/s per connection, 0 = unlimited [${DEFAULTS.bandwidthBytesPerSecond}]
  --max-request-bytes N      largest request body (HTTP 413 beyond) [${DEFAULTS.maxRequestBytes}]
  --max-response-bytes N     ExportItems response limit (ErrorMessageSizeExceeded beyond) [${DEFAULTS.maxResponseBytes}]
  --export-cache-bytes N     memory for ExportItems' encoded items kept between requests, 0 = off [${DEFAULTS.exportCacheBytes}]
  --render-cache-bytes N     memory for SyncFolderItems' rendered items kept between requests, 0 = off [${DEFAULTS.renderCacheBytes}]
  --max-concurrency N        EWSMaxConcurrency per user (ErrorServerBusy beyond) [${DEFAULTS.maxConcurrency}]
  --burst N                  request budget bucket size per user [unlimited]
  --recharge-per-second N    budget refill rate in requests/s [${DEFAULTS.rechargePerSecond}]
  --throttle-503             answer every refusal (concurrency or budget) with HTTP 503 [off]
  --throttle-fault           answer refusals as SOAP faults (ErrorExceededConnectionCount or
                             ErrorServerBusy + BackOffMilliseconds), as Exchange 2013+ does [default]
  --throttle-message         answer refusals as per-entry response messages (Exchange 2010) [off]
  --fault SPEC               repeatable: KIND[:OPERATION]@RATE or KIND[:OPERATION]#N,M,...
                             KIND: ${FAULT_KINDS.join(", ")}
                             e.g. --fault http500:GetItem@0.05 --fault reset#3,10
  --fault-seed N             seed of the fault PRNG [the generator seed]
  --slow-ms N                delay of the "slow" fault [${DEFAULTS.slowResponseMs}]
  --help                     this text
`;

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new TypeError(`--${name} needs a non-negative number, got ${value}`);
  return n;
}

function parseFault(spec: string): FaultRule {
  const match = /^([A-Za-z0-9]+)(?::([A-Za-z]+))?(?:@([0-9.]+)|#([0-9,]+))$/.exec(spec);
  if (match === null)
    throw new TypeError(`--fault ${spec}: expected KIND[:OPERATION]@RATE or KIND[:OPERATION]#N,M`);
  const kind = match[1] as FaultKind;
  if (!FAULT_KINDS.includes(kind)) throw new TypeError(`--fault ${spec}: unknown kind ${kind}`);
  const rule: { kind: FaultKind; operation?: string; rate?: number; nth?: number[] } = { kind };
  if (match[2] !== undefined) rule.operation = match[2];
  if (match[3] !== undefined) rule.rate = Number(match[3]);
  if (match[4] !== undefined) rule.nth = match[4].split(",").filter(Boolean).map(Number);
  return rule;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      host: { type: "string" },
      tls: { type: "boolean" },
      auth: { type: "string" },
      "extended-protection": { type: "boolean" },
      seed: { type: "string" },
      mailboxes: { type: "string" },
      items: { type: "string" },
      domain: { type: "string" },
      "public-items": { type: "string" },
      "no-associated-items": { type: "boolean" },
      username: { type: "string" },
      "latency-ms": { type: "string" },
      bandwidth: { type: "string" },
      "max-request-bytes": { type: "string" },
      "max-response-bytes": { type: "string" },
      "export-cache-bytes": { type: "string" },
      "render-cache-bytes": { type: "string" },
      "max-concurrency": { type: "string" },
      burst: { type: "string" },
      "recharge-per-second": { type: "string" },
      "throttle-503": { type: "boolean" },
      "throttle-fault": { type: "boolean" },
      "throttle-message": { type: "boolean" },
      fault: { type: "string", multiple: true },
      "fault-seed": { type: "string" },
      "slow-ms": { type: "string" },
      help: { type: "boolean" },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const domain = values.domain ?? "contoso.test";
  const options: { -readonly [K in keyof MockEwsServerOptions]: MockEwsServerOptions[K] } = {
    users: [
      {
        username: values.username ?? `ewsadmin@${domain}`,
        password: process.env.MOCK_EWS_PASSWORD || randomBytes(18).toString("base64url"),
        impersonate: "*",
      },
    ],
  };
  const set = <K extends keyof MockEwsServerOptions>(key: K, value: MockEwsServerOptions[K] | undefined) => {
    if (value !== undefined) options[key] = value;
  };
  set("port", integer("port", values.port));
  set("host", values.host);
  set("tls", values.tls === true ? true : undefined);
  set("auth", authSchemes((values.auth ?? "basic").split(",").map((s) => s.trim().toLowerCase())));
  set("extendedProtection", values["extended-protection"] === true ? true : undefined);
  set("seed", integer("seed", values.seed));
  set("mailboxes", integer("mailboxes", values.mailboxes));
  set("itemsPerMailbox", integer("items", values.items));
  set("domain", values.domain);
  set("publicFolderItems", integer("public-items", values["public-items"]));
  set("associatedItems", values["no-associated-items"] === true ? false : undefined);
  set("latencyMs", integer("latency-ms", values["latency-ms"]));
  set("bandwidthBytesPerSecond", integer("bandwidth", values.bandwidth));
  set("maxRequestBytes", integer("max-request-bytes", values["max-request-bytes"]));
  set("maxResponseBytes", integer("max-response-bytes", values["max-response-bytes"]));
  set("exportCacheBytes", integer("export-cache-bytes", values["export-cache-bytes"]));
  set("renderCacheBytes", integer("render-cache-bytes", values["render-cache-bytes"]));
  set("faultSeed", integer("fault-seed", values["fault-seed"]));
  set("slowResponseMs", integer("slow-ms", values["slow-ms"]));
  const throttling: {
    maxConcurrency?: number;
    burst?: number;
    rechargePerSecond?: number;
    http503?: boolean;
    soapFault?: boolean;
  } = {};
  const maxConcurrency = integer("max-concurrency", values["max-concurrency"]);
  if (maxConcurrency !== undefined) throttling.maxConcurrency = maxConcurrency;
  const burst = integer("burst", values.burst);
  if (burst !== undefined) throttling.burst = burst;
  const recharge = integer("recharge-per-second", values["recharge-per-second"]);
  if (recharge !== undefined) throttling.rechargePerSecond = recharge;
  if (values["throttle-503"]) throttling.http503 = true;
  if (values["throttle-fault"]) throttling.soapFault = true;
  if (values["throttle-message"]) throttling.soapFault = false;
  options.throttling = throttling;
  if (values.fault !== undefined) options.faults = values.fault.map(parseFault);

  const server = await startMockEwsServer(options);
  process.stdout.write(
    `${JSON.stringify({ url: server.url, username: server.credentials.username, password: server.credentials.password, mailboxes: server.mailboxes })}\n`,
  );
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error: unknown) => {
  // Never echo options here: they may hold the password.
  process.stderr.write(`mock-ews: ${(error as Error)?.message ?? String(error)}\n`);
  process.exit(2);
});
