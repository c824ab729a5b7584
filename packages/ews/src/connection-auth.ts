// NTLM and Negotiate over HTTP authenticate a connection, not a request: the NEGOTIATE, the 401
// with the CHALLENGE and the AUTHENTICATE must travel on one keep-alive connection, and every
// later request on that connection is authenticated without a header. Undici's Pool hands a
// request to whichever connection is free, so this pool keeps its own undici Clients (one socket
// each, no pipelining), knows which socket each one holds (through its connector) and which of
// those sockets completed a handshake, and runs the handshake only on a connection that has not.
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import {
  channelBindingsHash,
  createAuthenticateMessage,
  createNegotiateMessage,
  decodeNegTokenResp,
  encodeNegTokenInit,
  encodeNegTokenResp,
  NTLM_MECH_TYPES,
  ntlmSignature,
} from "@ewsvault/ntlm";
import { buildConnector, Client, type Dispatcher } from "undici";
import { type ConnectionAuth, ntlmCredentials } from "./auth.js";
import { ewsError } from "./errors.js";

export interface ConnectionPoolOptions {
  readonly origin: string;
  readonly auth: ConnectionAuth;
  /** Most connections at once (the transport's concurrency). */
  readonly connections: number;
  readonly connect: buildConnector.BuildOptions;
  readonly headersTimeout: number;
  readonly bodyTimeout: number;
}

export interface PoolRequest {
  readonly path: string;
  readonly method: "POST" | "GET";
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly signal?: AbortSignal;
}

/** What the pool saw (no secrets): the measure of "authenticate once per connection". */
export interface ConnectionAuthStats {
  /** Sockets opened (TCP+TLS connects). */
  readonly connections: number;
  /** Handshakes run (NEGOTIATE sent). */
  readonly handshakes: number;
  /** Whether the last handshake sent a TLS channel binding. */
  readonly channelBinding: boolean;
  /** Most requests this pool had in flight at once (a connection is opened only when all are busy). */
  readonly peakInFlight: number;
}

interface Slot {
  readonly client: Client;
  busy: boolean;
  socket?: Socket;
  authenticated?: Socket;
}

type ResponseData = Dispatcher.ResponseData;

/** The token of `scheme` in a 401's WWW-Authenticate headers, or undefined. */
function challengeToken(headers: ResponseData["headers"], scheme: string): Buffer | undefined {
  const raw = headers["www-authenticate"];
  const values = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).flatMap((v) =>
    v.split(/,\s*(?=[A-Za-z-]+(?:\s|$))/),
  );
  for (const value of values) {
    const [name, token] = value.trim().split(/\s+/, 2);
    if (name?.toLowerCase() === scheme.toLowerCase() && token !== undefined)
      return Buffer.from(token, "base64");
  }
  return undefined;
}

export class AuthenticatedConnectionPool {
  private readonly options: ConnectionPoolOptions;
  private readonly slots: Slot[] = [];
  private readonly waiting: Array<(slot: Slot) => void> = [];
  private readonly stats = { connections: 0, handshakes: 0, channelBinding: false, peakInFlight: 0 };
  /** Last certificate seen, for a resumed TLS session that reports none. */
  private lastCertificate: Buffer | undefined;

  constructor(options: ConnectionPoolOptions) {
    this.options = options;
  }

  getStats(): ConnectionAuthStats {
    return { ...this.stats };
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.client.close()));
  }

  private newSlot(): Slot {
    const base = buildConnector(this.options.connect);
    const slot: Slot = {
      busy: false,
      client: new Client(this.options.origin, {
        pipelining: 1,
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 120_000,
        headersTimeout: this.options.headersTimeout,
        bodyTimeout: this.options.bodyTimeout,
        connect: (opts, callback) =>
          base(opts, (error, socket) => {
            if (error === null) {
              slot.socket = socket;
              this.stats.connections++;
            }
            (callback as (e: Error | null, s: Socket | null) => void)(error, socket);
          }),
      }),
    };
    this.slots.push(slot);
    return slot;
  }

  private live(slot: Slot): boolean {
    return slot.authenticated !== undefined && slot.authenticated === slot.socket && !slot.socket.destroyed;
  }

  /** An idle connection, preferring one already authenticated; waits when all are busy. */
  private acquire(): Promise<Slot> {
    const idle = this.slots.filter((s) => !s.busy);
    const slot =
      idle.find((s) => this.live(s)) ??
      idle[0] ??
      (this.slots.length < this.options.connections ? this.newSlot() : undefined);
    if (slot !== undefined) {
      slot.busy = true;
      const inFlight = this.slots.filter((s) => s.busy).length;
      if (inFlight > this.stats.peakInFlight) this.stats.peakInFlight = inFlight;
      return Promise.resolve(slot);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(slot: Slot): void {
    const next = this.waiting.shift();
    if (next !== undefined) next(slot);
    else slot.busy = false;
  }

  /**
   * Sends the request on an authenticated connection (running the handshake first when the
   * connection has none, or when the server answers 401 because it closed the old one). The
   * connection is released when the returned body has been read or destroyed.
   */
  async request(request: PoolRequest): Promise<ResponseData> {
    const slot = await this.acquire();
    try {
      const response = await this.send(slot, request);
      response.body.once("close", () => this.release(slot));
      return response;
    } catch (error) {
      this.release(slot);
      throw error;
    }
  }

  private dispatch(
    slot: Slot,
    request: PoolRequest,
    authorization?: string,
    emptyBody = false,
  ): Promise<ResponseData> {
    const headers = { ...request.headers };
    if (authorization !== undefined) headers.authorization = authorization;
    return slot.client.request({
      path: request.path,
      method: request.method,
      headers,
      body: emptyBody ? "" : request.body,
      ...(request.signal !== undefined ? { signal: request.signal } : {}),
    });
  }

  private async send(slot: Slot, request: PoolRequest): Promise<ResponseData> {
    if (this.live(slot)) {
      const response = await this.dispatch(slot, request);
      if (response.statusCode !== 401) return response;
      // The server dropped the connection's authentication (a new socket, or IIS restarted).
      await response.body.dump();
    }
    return this.handshake(slot, request);
  }

  private async handshake(slot: Slot, request: PoolRequest): Promise<ResponseData> {
    const { auth } = this.options;
    const scheme = auth.kind === "ntlm" ? "NTLM" : "Negotiate";
    const spnego = auth.kind === "negotiate";
    const negotiate = createNegotiateMessage();
    const first = spnego ? encodeNegTokenInit(negotiate) : negotiate;
    this.stats.handshakes++;
    slot.authenticated = undefined;
    // The first leg carries no body: the server answers it with the challenge, never with data.
    const leg1 = await this.dispatch(slot, request, `${scheme} ${first.toString("base64")}`, true);
    const socket = slot.socket;
    const token = leg1.statusCode === 401 ? challengeToken(leg1.headers, scheme) : undefined;
    if (token === undefined) return leg1; // refused or not offered: the transport reports the 401
    await leg1.body.dump();
    let challenge = token;
    if (spnego && token[0] === 0xa1) {
      let resp: ReturnType<typeof decodeNegTokenResp>;
      try {
        resp = decodeNegTokenResp(token);
      } catch {
        throw ewsError("EWS_AUTH_FAILED", "the server's Negotiate answer is not valid SPNEGO", {
          details: { status: 401 },
        });
      }
      if (resp.negState === "reject" || resp.responseToken === undefined) {
        throw ewsError("EWS_AUTH_FAILED", "the server rejected the Negotiate (SPNEGO) offer of NTLM", {
          details: { status: 401 },
        });
      }
      challenge = resp.responseToken;
    }
    const channelBindings = this.channelBindings(socket);
    this.stats.channelBinding = channelBindings !== undefined;
    let result: ReturnType<typeof createAuthenticateMessage>;
    try {
      result = createAuthenticateMessage({
        credentials: ntlmCredentials(auth),
        negotiate,
        challenge,
        ...(channelBindings !== undefined ? { channelBindings } : {}),
        targetName: `HTTP/${new URL(this.options.origin).hostname}`,
        ...(auth.workstation !== undefined ? { workstation: auth.workstation } : {}),
      });
    } catch (cause) {
      throw ewsError(
        "EWS_AUTH_FAILED",
        "the server's NTLM challenge is unusable (no NTLMv2 target information)",
        {
          cause: { name: (cause as Error).name, code: (cause as { code?: string }).code },
        },
      );
    }
    const last = spnego
      ? encodeNegTokenResp({
          responseToken: result.message,
          mechListMIC: ntlmSignature(result.exportedSessionKey, "client", NTLM_MECH_TYPES),
        })
      : result.message;
    const leg2 = await this.dispatch(slot, request, `${scheme} ${last.toString("base64")}`);
    if (leg2.statusCode !== 401 && slot.socket === socket) slot.authenticated = socket;
    return leg2;
  }

  /** MD5 of the tls-server-end-point binding of the certificate this socket received (HTTPS only). */
  private channelBindings(socket: Socket | undefined): Buffer | undefined {
    const tls = socket as TLSSocket | undefined;
    if (tls === undefined || typeof tls.getPeerCertificate !== "function") return undefined;
    const raw = tls.getPeerCertificate()?.raw;
    if (raw !== undefined && raw.length > 0) this.lastCertificate = raw;
    return this.lastCertificate === undefined ? undefined : channelBindingsHash(this.lastCertificate);
  }
}
