// The mock's NTLM and Negotiate, as IIS runs them for Exchange with Extended Protection: checked
// with @ewsvault/ntlm's client half over raw keep-alive sockets, with curl (NTLMv2, no channel
// bindings) and with Debian's python3-requests-ntlm (NTLMv2 with channel bindings), unmodified.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { MockEwsError, type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import {
  AvId,
  channelBindingsHash,
  createAuthenticateMessage,
  createNegotiateMessage,
  decodeAuthenticate,
  decodeAvPairs,
  decodeChallenge,
  decodeNegTokenResp,
  encodeAuthenticate,
  encodeAvPairs,
  encodeChallenge,
  encodeNegTokenInit,
  encodeNegTokenResp,
  fileTime,
  NTLM_MECH_TYPES,
  ntlmSignature,
} from "@ewsvault/ntlm";
import { ensureAptPackage, ensureCommand } from "@ewsvault/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const PASSWORD = "Tr0ub4dor&3-mock";

interface Reply {
  status: number;
  /** Every WWW-Authenticate header, one entry each (Node joins repeated ones in res.headers). */
  authenticate: string[];
  socket: TLSSocket;
}

function get(server: MockEwsServer, agent: Agent, authorization?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      server.url,
      { method: "GET", agent, ca: server.certificate, headers: authorization ? { authorization } : {} },
      (res) => {
        const socket = res.socket as TLSSocket;
        const authenticate = res.rawHeaders.filter(
          (_, i, all) => i % 2 === 1 && all[i - 1]?.toLowerCase() === "www-authenticate",
        );
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, authenticate, socket }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

function challengeOf(reply: Reply, scheme: string): Buffer {
  const header = reply.authenticate.find((h) => h.startsWith(`${scheme} `));
  if (header === undefined) throw new Error(`no ${scheme} challenge`);
  return Buffer.from(header.slice(scheme.length + 1), "base64");
}

/** One NTLM handshake on `agent`; `tamper` changes the AUTHENTICATE before it is sent. */
async function ntlm(
  server: MockEwsServer,
  agent: Agent,
  options: {
    password?: string;
    binding?: "right" | "none" | "wrong";
    tamper?: (m: Buffer) => Buffer;
    other?: Agent;
  } = {},
) {
  const negotiate = createNegotiateMessage();
  const first = await get(server, agent, `NTLM ${negotiate.toString("base64")}`);
  expect(first.status).toBe(401);
  const challenge = challengeOf(first, "NTLM");
  const der = first.socket.getPeerCertificate().raw;
  const binding = options.binding ?? "right";
  const { message } = createAuthenticateMessage({
    credentials: { user: "ewsadmin", domain: "CONTOSO", password: options.password ?? PASSWORD },
    negotiate,
    challenge,
    ...(binding === "none"
      ? {}
      : { channelBindings: binding === "right" ? channelBindingsHash(der) : Buffer.alloc(16, 9) }),
  });
  const authenticate = options.tamper?.(message) ?? message;
  const second = await get(server, options.other ?? agent, `NTLM ${authenticate.toString("base64")}`);
  return { first, second };
}

/** Runs a client process without blocking the event loop (the server under test lives in it). */
function run(
  command: string,
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      stdio: ["pipe", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} exited ${code}: ${out}`)),
    );
    child.stdin.end(options.input ?? "");
  });
}

const keepAlive = () => new Agent({ keepAlive: true, maxSockets: 1 });

describe("mock-ews NTLM with Extended Protection", () => {
  let server: MockEwsServer;
  const dir = mkdtempSync(join(tmpdir(), "mock-ntlm-"));
  beforeAll(async () => {
    server = await startMockEwsServer({
      tls: true,
      auth: ["negotiate", "ntlm"],
      extendedProtection: true,
      mailboxes: 1,
      itemsPerMailbox: 2,
      users: [{ username: "ewsadmin@contoso.test", password: PASSWORD, impersonate: "*" }],
    });
    writeFileSync(join(dir, "ca.pem"), server.certificate ?? "");
  });
  afterAll(async () => server?.stop());

  it("answers an anonymous request like IIS: 401 with one WWW-Authenticate header per scheme", async () => {
    const reply = await get(server, keepAlive());
    expect(reply.status).toBe(401);
    expect(reply.authenticate).toEqual(["Negotiate", "NTLM"]);
  });

  it("authenticates the connection once: later requests on it need no header, a new connection must authenticate again", async () => {
    server.resetCounters();
    const agent = keepAlive();
    const { second } = await ntlm(server, agent);
    expect(second.status).toBe(200);
    expect((await get(server, agent)).status).toBe(200);
    expect((await get(server, agent)).status).toBe(200);
    expect((await get(server, keepAlive())).status).toBe(401);
    const auth = server.counters().auth;
    expect(auth).toMatchObject({ handshakes: 1, connectionsAuthenticated: 1 });
    expect(auth.connections).toBe(2);
    agent.destroy();
  });

  it("refuses a wrong password, a missing or wrong channel binding, NTLMv1, and an AUTHENTICATE on another connection", async () => {
    server.resetCounters();
    expect((await ntlm(server, keepAlive(), { password: "wrong" })).second.status).toBe(401);
    expect((await ntlm(server, keepAlive(), { binding: "none" })).second.status).toBe(401);
    expect((await ntlm(server, keepAlive(), { binding: "wrong" })).second.status).toBe(401);
    const v1 = (m: Buffer) =>
      encodeAuthenticate(
        {
          ...decodeAuthenticate(m),
          ntChallengeResponse: Buffer.alloc(24, 1),
          lmChallengeResponse: Buffer.alloc(24, 2),
        },
        false,
      );
    expect((await ntlm(server, keepAlive(), { tamper: v1 })).second.status).toBe(401);
    expect((await ntlm(server, keepAlive(), { other: keepAlive() })).second.status).toBe(401);
    expect(server.counters().auth.failures).toMatchObject({
      "wrong-password": 1,
      "channel-binding": 2,
      ntlmv1: 1,
      "no-challenge": 1,
    });
    expect(server.counters().auth.connectionsAuthenticated).toBe(0);
  });

  it("refuses a stale timestamp (a response computed over an hour-old server time)", async () => {
    server.resetCounters();
    const agent = keepAlive();
    const negotiate = createNegotiateMessage();
    const first = await get(server, agent, `NTLM ${negotiate.toString("base64")}`);
    const challenge = decodeChallenge(challengeOf(first, "NTLM"));
    const pairs = decodeAvPairs(challenge.targetInfo).map((p) =>
      p.id === AvId.Timestamp ? { id: p.id, value: fileTime(Date.now() - 3_600_000) } : p,
    );
    const old = encodeChallenge({ ...challenge, targetInfo: encodeAvPairs(pairs) });
    const { message } = createAuthenticateMessage({
      credentials: { user: "ewsadmin", domain: "CONTOSO", password: PASSWORD },
      negotiate,
      challenge: old,
      channelBindings: channelBindingsHash(first.socket.getPeerCertificate().raw),
    });
    expect((await get(server, agent, `NTLM ${message.toString("base64")}`)).status).toBe(401);
    expect(server.counters().auth.failures["stale-timestamp"]).toBe(1);
    agent.destroy();
  });

  it("refuses a replayed AUTHENTICATE: the challenge is single-use", async () => {
    const agent = keepAlive();
    let sent: Buffer | undefined;
    const { second } = await ntlm(server, agent, { tamper: (m) => (sent = m) });
    expect(second.status).toBe(200);
    expect((await get(server, agent, `NTLM ${sent?.toString("base64")}`)).status).toBe(401);
    agent.destroy();
  });

  it("speaks Negotiate: NTLM in SPNEGO with a mechListMIC, answered with the server's own", async () => {
    const agent = keepAlive();
    const negotiate = createNegotiateMessage();
    const first = await get(server, agent, `Negotiate ${encodeNegTokenInit(negotiate).toString("base64")}`);
    expect(first.status).toBe(401);
    const challenge = decodeNegTokenResp(challengeOf(first, "Negotiate")).responseToken ?? Buffer.alloc(0);
    const { message, exportedSessionKey } = createAuthenticateMessage({
      credentials: { user: "ewsadmin@contoso.test", domain: "", password: PASSWORD },
      negotiate,
      challenge,
      channelBindings: channelBindingsHash(first.socket.getPeerCertificate().raw),
    });
    const token = encodeNegTokenResp({
      responseToken: message,
      mechListMIC: ntlmSignature(exportedSessionKey, "client", NTLM_MECH_TYPES),
    });
    const second = await get(server, agent, `Negotiate ${token.toString("base64")}`);
    expect(second.status).toBe(200);
    const done = decodeNegTokenResp(challengeOf(second, "Negotiate"));
    expect(done.negState).toBe("accept-completed");
    expect(done.mechListMIC?.equals(ntlmSignature(exportedSessionKey, "server", NTLM_MECH_TYPES))).toBe(true);
    agent.destroy();
  });

  it("curl --ntlm (NTLMv2 without channel bindings) gets 401 under Extended Protection", async () => {
    const curl = ensureCommand("curl", "curl");
    server.resetCounters();
    const status = await run(
      curl,
      [
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--ntlm",
        "--cacert",
        join(dir, "ca.pem"),
        "-K",
        "-",
        server.url,
      ],
      { input: `user = "CONTOSO\\\\ewsadmin:${PASSWORD}"\n` },
    );
    expect(status).toBe("401");
    expect(server.counters().auth.failures["channel-binding"]).toBe(1);
  });

  it("python3-requests-ntlm from Debian, unmodified, authenticates with channel bindings", async () => {
    const python = "/usr/bin/python3";
    const has = () => spawnSync(python, ["-c", "import requests_ntlm"]).status === 0;
    if (!has()) ensureAptPackage("python3-requests-ntlm");
    expect(has()).toBe(true);
    server.resetCounters();
    const script = `
import os, sys, requests
from requests_ntlm import HttpNtlmAuth
s = requests.Session()
s.auth = HttpNtlmAuth("CONTOSO\\\\ewsadmin", os.environ["PW"])
r = s.get(sys.argv[1], verify=sys.argv[2])
print(r.status_code)
`;
    const out = await run(python, ["-c", script, server.url, join(dir, "ca.pem")], {
      env: { ...process.env, PW: PASSWORD },
    });
    expect(out.trim()).toBe("200");
    expect(server.counters().auth.connectionsAuthenticated).toBe(1);
  });
});

describe("mock-ews --auth without Extended Protection", () => {
  it("lets curl --ntlm (NTLMv2) in over HTTP and refuses Extended Protection without TLS", async () => {
    await expect(startMockEwsServer({ extendedProtection: true })).rejects.toThrow(MockEwsError);
    await expect(startMockEwsServer({ extendedProtection: true })).rejects.toMatchObject({
      code: "INVALID_OPTIONS",
    });
    await expect(startMockEwsServer({ auth: ["kerberos" as "ntlm"] })).rejects.toMatchObject({
      code: "INVALID_OPTIONS",
    });
    const server = await startMockEwsServer({
      auth: ["ntlm"],
      mailboxes: 1,
      itemsPerMailbox: 1,
      users: [{ username: "ewsadmin@contoso.test", password: PASSWORD, impersonate: "*" }],
    });
    try {
      const curl = ensureCommand("curl", "curl");
      const attempt = (password: string) =>
        run(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--ntlm", "-K", "-", server.url], {
          input: `user = "ewsadmin@contoso.test:${password}"\n`,
        });
      expect(await attempt(PASSWORD)).toBe("200");
      expect(await attempt("wrong")).toBe("401");
      // Basic is not offered: a Basic header gets 401 even with the right password.
      const basic = await fetch(server.url, {
        headers: {
          authorization: `Basic ${Buffer.from(`ewsadmin@contoso.test:${PASSWORD}`).toString("base64")}`,
        },
      });
      expect(basic.status).toBe(401);
      expect(basic.headers.get("www-authenticate")).toBe("NTLM");
    } finally {
      await server.stop();
    }
  });
});
