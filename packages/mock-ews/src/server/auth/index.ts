// Who is asking: the schemes the mock offers (`auth` option / --auth) and the check of each
// request's credentials. Basic and Bearer authenticate a request; NTLM and Negotiate authenticate
// the connection (connection-auth.ts). A refusal is answered like IIS: 401 with one
// WWW-Authenticate header per offered scheme.
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { ntHash } from "@ewsvault/ntlm";
import { type AuthFailureReason, ConnectionAuthenticator } from "./connection-auth.js";

export type AuthScheme = "basic" | "ntlm" | "negotiate" | "bearer";
export const AUTH_SCHEMES: readonly AuthScheme[] = ["basic", "ntlm", "negotiate", "bearer"];

export interface MockAuthCounters {
  /** TCP (or TLS) connections accepted. */
  readonly connections: number;
  /** NTLM/Negotiate challenges issued (one per handshake started). */
  readonly handshakes: number;
  /** Connections that completed an NTLM/Negotiate handshake. */
  readonly connectionsAuthenticated: number;
  /** Refused credentials by reason (wrong-password, ntlmv1, channel-binding, no-challenge, ...). */
  readonly failures: Readonly<Partial<Record<AuthFailureReason | "missing", number>>>;
}

export type AuthOutcome =
  | { readonly kind: "ok"; readonly username: string; readonly header?: string }
  /** 401 carrying exactly this WWW-Authenticate (an NTLM/Negotiate challenge). */
  | { readonly kind: "challenge"; readonly header: string }
  /** 401 offering every scheme. */
  | { readonly kind: "refused" };

function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** What the authenticator reads of an account (options.ts's MockEwsUser has these and more). */
export interface AuthAccount {
  readonly username: string;
  readonly password: string;
  /** Accepted as `Authorization: Bearer <token>`. */
  readonly token?: string;
}

export interface HttpAuthenticatorOptions {
  readonly schemes: readonly AuthScheme[];
  readonly users: readonly AuthAccount[];
  /** DNS domain of the accounts (the NetBIOS domain is its first label, uppercased). */
  readonly domain: string;
  readonly expectedChannelBindings?: Buffer;
}

export class HttpAuthenticator {
  private readonly schemes: ReadonlySet<AuthScheme>;
  private readonly users: readonly AuthAccount[];
  private readonly connection: ConnectionAuthenticator;
  private readonly netbiosDomain: string;
  private readonly domain: string;
  private connections = 0;
  private failures: Partial<Record<AuthFailureReason | "missing", number>> = {};
  readonly challengeHeaders: readonly string[];

  constructor(options: HttpAuthenticatorOptions) {
    this.schemes = new Set(options.schemes);
    this.users = options.users;
    this.domain = options.domain.toLowerCase();
    this.netbiosDomain = (this.domain.split(".")[0] ?? "CONTOSO").toUpperCase();
    const hashes = new Map(options.users.map((u) => [u.username.toLowerCase(), ntHash(u.password)]));
    this.connection = new ConnectionAuthenticator({
      schemes: options.schemes.filter((s): s is "ntlm" | "negotiate" => s === "ntlm" || s === "negotiate"),
      netbiosDomain: this.netbiosDomain,
      dnsDomain: this.domain,
      lookup: (user, domain) => {
        const found = this.findUser(user, domain);
        const hash = found === undefined ? undefined : hashes.get(found.username.toLowerCase());
        return found === undefined || hash === undefined
          ? undefined
          : { ntHash: hash, username: found.username };
      },
      ...(options.expectedChannelBindings !== undefined
        ? { expectedChannelBindings: options.expectedChannelBindings }
        : {}),
    });
    const headers: Record<AuthScheme, string> = {
      negotiate: "Negotiate",
      ntlm: "NTLM",
      basic: `Basic realm="${this.domain}"`,
      bearer: "Bearer",
    };
    this.challengeHeaders = options.schemes.map((s) => headers[s]);
  }

  /**
   * The account a user name designates: the full name ("ewsadmin@contoso.test", the UPN form with
   * an empty domain), or its local part with this server's NetBIOS or DNS domain ("CONTOSO\ewsadmin").
   */
  private findUser(user: string, domain: string): AuthAccount | undefined {
    const name = user.toLowerCase();
    const dom = domain.toLowerCase();
    const ourDomain = dom === "" || dom === this.domain || dom === this.netbiosDomain.toLowerCase();
    return this.users.find((u) => {
      const full = u.username.toLowerCase();
      if (full === name || (dom !== "" && full === `${name}@${dom}`)) return true;
      return ourDomain && full.split("@")[0] === name;
    });
  }

  countConnection(): void {
    this.connections++;
  }

  private fail(reason: AuthFailureReason | "missing"): AuthOutcome {
    this.failures[reason] = (this.failures[reason] ?? 0) + 1;
    return { kind: "refused" };
  }

  authenticate(req: IncomingMessage): AuthOutcome {
    const header = req.headers.authorization ?? "";
    const space = header.indexOf(" ");
    const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
    const value = space < 0 ? "" : header.slice(space + 1).trim();
    const socket = req.socket as Socket;
    if (header === "") {
      const user = this.connection.connectionUser(socket);
      return user !== undefined ? { kind: "ok", username: user } : this.fail("missing");
    }
    if ((scheme === "ntlm" || scheme === "negotiate") && this.schemes.has(scheme)) {
      const outcome = this.connection.handle(socket, scheme, Buffer.from(value, "base64"));
      if (outcome.kind === "refused") return this.fail(outcome.reason);
      if (outcome.kind === "challenge") return outcome;
      return {
        kind: "ok",
        username: outcome.user,
        ...(outcome.header !== undefined ? { header: outcome.header } : {}),
      };
    }
    if (scheme === "basic" && this.schemes.has("basic")) {
      const decoded = Buffer.from(value, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon < 0) return this.fail("bad-token");
      const raw = decoded.slice(0, colon);
      const slash = raw.indexOf("\\");
      const user = this.findUser(
        slash < 0 ? raw : raw.slice(slash + 1),
        slash < 0 ? "" : raw.slice(0, slash),
      );
      if (user === undefined) return this.fail("unknown-user");
      return constantTimeEqual(user.password, decoded.slice(colon + 1))
        ? { kind: "ok", username: user.username }
        : this.fail("wrong-password");
    }
    if (scheme === "bearer" && this.schemes.has("bearer")) {
      const user = this.users.find((u) => u.token !== undefined && constantTimeEqual(u.token, value));
      return user !== undefined ? { kind: "ok", username: user.username } : this.fail("bad-token");
    }
    return this.fail("scheme-not-offered");
  }

  counters(): MockAuthCounters {
    return {
      connections: this.connections,
      handshakes: this.connection.handshakes,
      connectionsAuthenticated: this.connection.authenticated,
      failures: { ...this.failures },
    };
  }

  resetCounters(): void {
    this.connections = 0;
    this.connection.handshakes = 0;
    this.connection.authenticated = 0;
    this.failures = {};
  }
}
