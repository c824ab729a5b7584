// The HTTP(S) listener: authentication, request limits, SOAP parsing, throttling, fault injection
// and dispatch to the operations (mailbox routing is mailbox-routing.ts, response writing
// http-io.ts, the counters request-counters.ts). Nothing a client sends may crash it: every
// failure becomes a SOAP fault or an HTTP status.
import { createHmac, randomBytes, X509Certificate } from "node:crypto";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { channelBindingsHash } from "@ewsvault/ntlm";
import { EwsResponseError, MockEwsError, SoapFaultError } from "../errors.js";
import { createMailboxGenerator } from "../generator/index.js";
import { frameResponse, frameResponseParts, type ResponseParts, requestError } from "../operations/common.js";
import { OPERATIONS, type OperationContext } from "../operations/index.js";
import { Store } from "../store/mailbox-store.js";
import type { MailboxState } from "../store/records.js";
import { attr, child, childNames, parseXml, type XmlNode } from "../xml.js";
import { HttpAuthenticator } from "./auth/index.js";
import { autodiscoverPox, autodiscoverSoap } from "./autodiscover.js";
import { codecs } from "./codecs.js";
import { ExportCache } from "./export-cache.js";
import { FaultInjector, RequestBudget } from "./faults.js";
import { readBody, send as sendShaped, sleep } from "./http-io.js";
import { mayAccess, RoutingFault, targetMailbox } from "./mailbox-routing.js";
import { collectSoon } from "./memory.js";
import { authSchemes, DEFAULTS, type MockEwsServerOptions, type MockEwsUser } from "./options.js";
import {
  busy,
  connectionCount,
  faultMessageXml,
  throttleRefusalForm,
  unknownOperationFault,
} from "./refusals.js";
import { RenderCache } from "./render-cache.js";
import { type MockEwsCounters, RequestCounters } from "./request-counters.js";
import { envelope, envelopeParts, soapFault } from "./soap.js";
import { selfSignedCertificate } from "./tls.js";

interface UserState {
  readonly user: MockEwsUser;
  inFlight: number;
  readonly budget: RequestBudget | undefined;
}

/** Regenerated body characters after which a full GC is scheduled. */
const GC_AFTER_CHARS = 24 * 1024 * 1024;

const REQUEST_VERSION =
  /^(Exchange2007|Exchange2007_SP1|Exchange2010|Exchange2010_SP1|Exchange2010_SP2|Exchange2013|Exchange2013_SP1|Exchange2015|Exchange2016|V\d{4}_\d{2}_\d{2})$/;

export interface ServerCore {
  readonly server: Server;
  readonly store: Store;
  readonly url: string;
  readonly users: readonly MockEwsUser[];
  /** PEM certificate of the HTTPS listener (undefined over HTTP), for clients to trust. */
  readonly certificate: string | undefined;
  counters(): MockEwsCounters;
  resetCounters(): void;
  close(): Promise<void>;
}

export async function startServerCore(options: MockEwsServerOptions): Promise<ServerCore> {
  const seed = options.seed ?? DEFAULTS.seed;
  const generatorOptions: Parameters<typeof createMailboxGenerator>[0] = {
    seed,
    mailboxes: options.mailboxes ?? DEFAULTS.mailboxes,
    itemsPerMailbox: options.itemsPerMailbox ?? DEFAULTS.itemsPerMailbox,
  };
  if (options.domain !== undefined) generatorOptions.domain = options.domain;
  if (options.publicFolderItems !== undefined) generatorOptions.publicFolderItems = options.publicFolderItems;
  const generator = options.generator ?? createMailboxGenerator(generatorOptions);
  const store = new Store(generator, { associatedItems: options.associatedItems !== false });
  const domain = store.mailboxes[0]?.smtpAddress.split("@")[1] ?? options.domain ?? "contoso.test";
  const users: readonly MockEwsUser[] = options.users ?? [
    { username: `ewsadmin@${domain}`, password: randomBytes(18).toString("base64url"), impersonate: "*" },
  ];
  const userStates = new Map<string, UserState>();
  const throttling = options.throttling ?? {};
  for (const user of users) {
    const burst = throttling.burst ?? DEFAULTS.burst;
    userStates.set(user.username.toLowerCase(), {
      user,
      inFlight: 0,
      budget: Number.isFinite(burst)
        ? new RequestBudget(burst, throttling.rechargePerSecond ?? DEFAULTS.rechargePerSecond)
        : undefined,
    });
  }
  const maxConcurrency = throttling.maxConcurrency ?? DEFAULTS.maxConcurrency;
  const refusalForm = throttleRefusalForm(throttling);
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULTS.maxRequestBytes;
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULTS.maxResponseBytes;
  const latencyMs = options.latencyMs ?? DEFAULTS.latencyMs;
  const bandwidth = options.bandwidthBytesPerSecond ?? DEFAULTS.bandwidthBytesPerSecond;
  const slowMs = options.slowResponseMs ?? DEFAULTS.slowResponseMs;
  const faults = new FaultInjector(options.faults ?? [], options.faultSeed ?? seed);
  const exportCache = new ExportCache(options.exportCacheBytes ?? DEFAULTS.exportCacheBytes);
  const renderCache = new RenderCache(options.renderCacheBytes ?? DEFAULTS.renderCacheBytes);
  store.onItemChange((record) => exportCache.invalidate(record));
  const syncKey = createHmac("sha256", "mock-ews-sync-state").update(String(seed)).digest();

  const counts = new RequestCounters();
  const shaping = { bandwidth };
  const send = (
    res: ServerResponse,
    status: number,
    body: string | ResponseParts,
    headers: Record<string, string> = {},
    cut?: "reset" | "truncate",
  ) => sendShaped(shaping, res, status, body, headers, cut);

  // Certificate first: Extended Protection binds NTLM to it (see auth/).
  const host = options.host ?? DEFAULTS.host;
  const useTls = options.tls !== undefined && options.tls !== false;
  if (options.extendedProtection === true && !useTls) {
    throw new MockEwsError(
      "INVALID_OPTIONS",
      "extendedProtection needs tls: channel bindings exist only over TLS",
    );
  }
  const material = !useTls ? undefined : options.tls === true ? selfSignedCertificate(host) : options.tls;
  const auth = new HttpAuthenticator({
    schemes: authSchemes(options.auth),
    users,
    domain,
    ...(options.extendedProtection === true && material !== undefined
      ? { expectedChannelBindings: channelBindingsHash(new X509Certificate(material.cert).raw) }
      : {}),
  });

  async function handleEws(
    req: IncomingMessage,
    res: ServerResponse,
    state: UserState,
    body: Buffer,
  ): Promise<void> {
    let operation = "Unknown";
    let envelopeNode: XmlNode;
    try {
      envelopeNode = child(parseXml(body.toString("utf8")), "Envelope") ?? {};
    } catch (error) {
      counts.rejected++;
      const code =
        error instanceof MockEwsError && error.code === "XML_DTD_REJECTED"
          ? "ErrorInvalidRequest"
          : "ErrorSchemaValidation";
      await send(res, 500, soapFault(code, (error as Error).message));
      return;
    }
    const bodyNode = child(envelopeNode, "Body");
    const opName = childNames(bodyNode)[0];
    const op = opName === undefined ? undefined : OPERATIONS[opName];
    if (opName === undefined || op === undefined) {
      counts.rejected++;
      await send(res, 500, unknownOperationFault(body.toString("utf8"), opName));
      return;
    }
    operation = opName;
    counts.request(operation);
    const requestNode = child(bodyNode, opName) ?? {};
    const header = child(envelopeNode, "Header");
    const version = attr(child(header, "RequestServerVersion"), "Version");
    if (version !== undefined && !REQUEST_VERSION.test(version)) {
      await send(
        res,
        500,
        soapFault("ErrorInvalidServerVersion", "The specified server version is invalid."),
      );
      return;
    }
    let mailbox: MailboxState;
    try {
      mailbox = targetMailbox(store, req, header, state.user);
    } catch (error) {
      if (!(error instanceof RoutingFault)) throw error;
      await send(res, error.status, soapFault(error.code, error.message));
      return;
    }

    const respondError = async (
      error: EwsResponseError,
      status = 200,
      headers: Record<string, string> = {},
    ) => {
      await send(
        res,
        status,
        envelope(frameResponse(op, operation, requestError(op, requestNode, error))),
        headers,
      );
    };

    // Throttling: concurrency first (the request never starts and takes nothing from the budget),
    // then the budget. Exchange names the cause: ErrorExceededConnectionCount (no backoff hint:
    // "try again once your other requests have completed") when EWSMaxConcurrency is exceeded,
    // ErrorServerBusy with BackOffMilliseconds (when the budget holds a request again) when the
    // budget is spent. The form of the refusal (SOAP fault by default, as Exchange 2013 and later
    // answer; response message; HTTP 503) is chosen in refusals.ts.
    const throttle = async (kind: "concurrency" | "budget", backOffMs: number) => {
      counts.throttle(kind);
      const refusal = kind === "concurrency" ? connectionCount(maxConcurrency) : busy(backOffMs);
      if (refusalForm === "http503") {
        await send(res, 503, soapFault(refusal.code, refusal.message), {
          "Retry-After": String(Math.max(1, Math.ceil(backOffMs / 1000))),
        });
      } else if (refusalForm === "soapFault") {
        await send(res, 500, soapFault(refusal.code, refusal.message, faultMessageXml(refusal.messageXml)));
      } else {
        await respondError(refusal);
      }
    };
    if (state.inFlight >= maxConcurrency) {
      await throttle("concurrency", 1000);
      return;
    }
    const wait = state.budget?.take() ?? 0;
    if (wait > 0) {
      await throttle("budget", wait);
      return;
    }

    state.inFlight++;
    try {
      if (latencyMs > 0) await sleep(latencyMs);
      const fault = faults.requestFault(operation);
      if (fault !== undefined) counts.fault(fault);
      if (fault === "http500") {
        await send(
          res,
          500,
          soapFault("ErrorInternalServerError", "An internal server error occurred. The operation failed."),
        );
        return;
      }
      if (fault === "mailboxMove") {
        await respondError(
          new EwsResponseError("ErrorMailboxMoveInProgress", "The mailbox is being moved. Try again later."),
        );
        return;
      }
      // A mailbox whose owner withheld the right, or an older server that lacks the operation
      // (Exchange 2007 answers GetInboxRules / GetUserConfiguration so): one response message.
      if (fault === "accessDenied") {
        await respondError(
          new EwsResponseError("ErrorAccessDenied", "Access is denied. Check credentials and try again."),
        );
        return;
      }
      if (fault === "invalidOperation") {
        await respondError(
          new EwsResponseError(
            "ErrorInvalidOperation",
            "The operation is not valid for this server version.",
          ),
        );
        return;
      }
      if (fault === "slow") await sleep(slowMs);
      const ctx: OperationContext = {
        store,
        mailbox,
        codecs,
        encodedExports: exportCache,
        renderedItems: renderCache,
        syncKey,
        maxResponseBytes,
        itemFault: () => {
          // A response that will be cut never reaches the client: its items draw no item faults,
          // so "the Nth item" always means the Nth item a client actually received.
          if (fault === "reset" || fault === "truncate") return undefined;
          const hit = faults.itemFault(operation);
          if (hit === undefined) return undefined;
          counts.fault(hit.kind);
          return hit.fault;
        },
        mailboxFor: (smtp) => {
          const target = store.mailboxBySmtp(smtp);
          if (target === undefined)
            throw new EwsResponseError(
              "ErrorNonExistentMailbox",
              "The SMTP address has no mailbox associated with it.",
            );
          if (!mayAccess(state.user, target))
            throw new EwsResponseError(
              "ErrorAccessDenied",
              "Access is denied. Check credentials and try again.",
            );
          return target;
        },
        mayAccess: (target) => mayAccess(state.user, target),
      };
      let messages: string | ResponseParts;
      try {
        messages = op.run(requestNode, ctx);
      } catch (error) {
        if (error instanceof SoapFaultError) {
          await send(res, 500, soapFault(error.code, error.message));
          return;
        }
        if (!(error instanceof EwsResponseError)) throw error;
        messages = requestError(op, requestNode, error);
      }
      const cut = fault === "reset" || fault === "truncate" ? fault : undefined;
      const body =
        typeof messages === "string"
          ? envelope(frameResponse(op, operation, messages))
          : envelopeParts(frameResponseParts(op, operation, messages));
      messages = "";
      // Regenerated content only: counting response sizes too forced a full collection every
      // ~16 ExportItems answers, a quarter of the mock's CPU in the scheduler benchmark.
      if (store.generatedChars > GC_AFTER_CHARS) {
        store.generatedChars = 0;
        collectSoon();
      }
      await send(res, 200, body, {}, cut);
    } finally {
      state.inFlight--;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0]!.toLowerCase();
    const isEws = path === "/ews/exchange.asmx";
    const isAutodiscover =
      path === "/autodiscover/autodiscover.svc" || path === "/autodiscover/autodiscover.xml";
    if (!isEws && !isAutodiscover) {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("Not Found");
      return;
    }
    const outcome = auth.authenticate(req);
    const state = outcome.kind === "ok" ? userStates.get(outcome.username.toLowerCase()) : undefined;
    if (state === undefined) {
      if (outcome.kind !== "challenge") counts.rejected++;
      req.resume();
      const header = outcome.kind === "challenge" ? [outcome.header] : [...auth.challengeHeaders];
      res.writeHead(401, { "WWW-Authenticate": header, "Content-Length": "0" }).end();
      return;
    }
    if (outcome.kind === "ok" && outcome.header !== undefined)
      res.setHeader("WWW-Authenticate", outcome.header);
    if (req.method === "GET") {
      req.resume();
      res.writeHead(200, { "Content-Type": "text/plain" }).end("mock-ews: POST SOAP requests here");
      return;
    }
    if (req.method !== "POST") {
      req.resume();
      res.writeHead(405, { Allow: "GET, POST", "Content-Length": "0" }).end();
      return;
    }
    const body = await readBody(req, maxRequestBytes);
    if (body === "too-large") {
      counts.rejected++;
      const fault = soapFault(
        "ErrorMessageSizeExceeded",
        `The request exceeds the maximum request size of ${maxRequestBytes} bytes.`,
      );
      res.writeHead(413, {
        "Content-Type": "text/xml; charset=utf-8",
        "Content-Length": String(Buffer.byteLength(fault)),
        Connection: "close",
      });
      res.end(fault);
      req.destroy();
      return;
    }
    if (isAutodiscover) {
      const url = `${baseUrl}/EWS/Exchange.asmx`;
      const result = path.endsWith(".svc")
        ? autodiscoverSoap(body.toString("utf8"), store, url)
        : autodiscoverPox(body.toString("utf8"), store, url);
      await send(res, result.status, result.body);
      return;
    }
    await handleEws(req, res, state, body);
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error: unknown) => {
      // The last line of defence: an operation bug answers a fault, it never takes the server down.
      try {
        if (!res.headersSent) {
          const fault = soapFault(
            "ErrorInternalServerError",
            `An internal server error occurred: ${(error as Error)?.message ?? String(error)}`,
          );
          res.writeHead(500, {
            "Content-Type": "text/xml; charset=utf-8",
            "Content-Length": String(Buffer.byteLength(fault)),
          });
          res.end(fault);
        } else {
          res.destroy();
        }
      } catch {
        res.destroy();
      }
    });
  };

  let server: Server;
  let certificate: string | undefined;
  if (material !== undefined) {
    certificate = material.cert.toString();
    server = createHttpsServer({ key: material.key, cert: material.cert }, listener);
  } else {
    server = createHttpServer(listener);
  }
  server.on("clientError", (_error, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });
  server.on("connection", () => auth.countConnection());
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? DEFAULTS.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const scheme = options.tls !== undefined && options.tls !== false ? "https" : "http";
  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const baseUrl = `${scheme}://${urlHost}:${address.port}`;

  return {
    server,
    store,
    url: `${baseUrl}/EWS/Exchange.asmx`,
    users,
    certificate,
    counters: () => counts.snapshot(auth.counters()),
    resetCounters: () => {
      counts.reset();
      auth.resetCounters();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
