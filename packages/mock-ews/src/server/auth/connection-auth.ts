// NTLM and Negotiate as IIS runs them for Exchange: a handshake (NEGOTIATE -> 401 with CHALLENGE
// -> AUTHENTICATE) authenticates the TCP connection, not the request; state lives per socket and a
// new connection authenticates again. Only NTLMv2 is accepted, the timestamp must be fresh, the
// MIC must be right when the client says it sent one, and under Extended Protection the client's
// channel binding must be the hash of this server's own certificate.
import type { Socket } from "node:net";
import {
  createChallengeMessage,
  decodeNegTokenInit,
  decodeNegTokenResp,
  encodeNegTokenResp,
  messageType,
  NTLMSSP_OID,
  type NtlmFailureReason,
  ntlmSignature,
  verifyAuthenticateMessage,
} from "@ewsvault/ntlm";

export type ConnectionScheme = "ntlm" | "negotiate";

/** Why an NTLM/Negotiate request was refused; the counters key failures by it. */
export type AuthFailureReason =
  | NtlmFailureReason
  /** An AUTHENTICATE on a connection with no challenge pending (another connection's, or a replay). */
  | "no-challenge"
  /** Not an NTLMSSP/SPNEGO token, or a token of the wrong step. */
  | "bad-token"
  /** The Authorization header names a scheme this server does not offer. */
  | "scheme-not-offered";

interface Pending {
  readonly scheme: ConnectionScheme;
  readonly negotiate: Buffer;
  readonly challenge: Buffer;
  /** SPNEGO-wrapped (Negotiate): the mechTypes the client offered, for the mechListMIC. */
  readonly mechTypes?: Buffer;
}

interface ConnectionState {
  pending?: Pending;
  user?: string;
}

export type ConnectionAuthOutcome =
  /** Send 401 with this WWW-Authenticate value (the challenge leg). */
  | { readonly kind: "challenge"; readonly header: string }
  /** The connection is authenticated as `user`; `header` (Negotiate only) goes on the response. */
  | { readonly kind: "ok"; readonly user: string; readonly header?: string }
  | { readonly kind: "refused"; readonly reason: AuthFailureReason };

export interface ConnectionAuthOptions {
  readonly schemes: readonly ConnectionScheme[];
  /** NT hash of the account a (user, domain) pair names, and its configured user name. */
  readonly lookup: (user: string, domain: string) => { ntHash: Buffer; username: string } | undefined;
  readonly netbiosDomain: string;
  readonly dnsDomain: string;
  /** Required channel bindings hash (Extended Protection), or undefined. */
  readonly expectedChannelBindings?: Buffer;
}

export class ConnectionAuthenticator {
  private readonly states = new WeakMap<Socket, ConnectionState>();
  private readonly options: ConnectionAuthOptions;
  handshakes = 0;
  authenticated = 0;

  constructor(options: ConnectionAuthOptions) {
    this.options = options;
  }

  /** The user this connection authenticated as, if it did. */
  connectionUser(socket: Socket): string | undefined {
    return this.states.get(socket)?.user;
  }

  /** Handles `Authorization: NTLM|Negotiate <token>` on `socket`. */
  handle(socket: Socket, scheme: ConnectionScheme, token: Buffer): ConnectionAuthOutcome {
    let state = this.states.get(socket);
    if (state === undefined) {
      state = {};
      this.states.set(socket, state);
    }
    // A Negotiate token is SPNEGO (0x60 init, 0xa1 response) or, as IIS also accepts, raw NTLMSSP.
    let spnego = false;
    let ntlm = token;
    let mechTypes: Buffer | undefined;
    let mechListMIC: Buffer | undefined;
    try {
      if (scheme === "negotiate" && token[0] === 0x60) {
        const init = decodeNegTokenInit(token);
        if (!init.offersNtlm || init.mechToken === undefined) return this.refuse(state, "bad-token");
        spnego = true;
        mechTypes = init.mechTypes;
        ntlm = init.mechToken;
      } else if (scheme === "negotiate" && token[0] === 0xa1) {
        const resp = decodeNegTokenResp(token);
        if (resp.responseToken === undefined) return this.refuse(state, "bad-token");
        spnego = true;
        ntlm = resp.responseToken;
        mechListMIC = resp.mechListMIC;
      }
      const type = messageType(ntlm);
      if (type === 1) return this.challenge(state, scheme, ntlm, spnego, mechTypes);
      if (type === 3) return this.authenticate(state, scheme, ntlm, spnego, mechListMIC);
    } catch {
      // Malformed DER or NTLMSSP: a 401 like any other bad credential.
    }
    return this.refuse(state, "bad-token");
  }

  private refuse(state: ConnectionState, reason: AuthFailureReason): ConnectionAuthOutcome {
    state.pending = undefined;
    state.user = undefined;
    return { kind: "refused", reason };
  }

  private challenge(
    state: ConnectionState,
    scheme: ConnectionScheme,
    negotiate: Buffer,
    spnego: boolean,
    mechTypes: Buffer | undefined,
  ): ConnectionAuthOutcome {
    const { message } = createChallengeMessage({
      negotiate,
      netbiosDomain: this.options.netbiosDomain,
      netbiosComputer: "EX01",
      dnsDomain: this.options.dnsDomain,
      dnsComputer: `ex01.${this.options.dnsDomain}`,
    });
    this.handshakes++;
    // A new handshake replaces whatever the connection had: IIS re-authenticates it.
    state.user = undefined;
    state.pending = {
      scheme,
      negotiate,
      challenge: message,
      ...(mechTypes !== undefined ? { mechTypes } : {}),
    };
    const token = spnego
      ? encodeNegTokenResp({
          negState: "accept-incomplete",
          supportedMech: NTLMSSP_OID,
          responseToken: message,
        })
      : message;
    return {
      kind: "challenge",
      header: `${scheme === "ntlm" ? "NTLM" : "Negotiate"} ${token.toString("base64")}`,
    };
  }

  private authenticate(
    state: ConnectionState,
    scheme: ConnectionScheme,
    authenticate: Buffer,
    spnego: boolean,
    mechListMIC: Buffer | undefined,
  ): ConnectionAuthOutcome {
    const pending = state.pending;
    // The challenge is single-use: consumed by the first AUTHENTICATE, right or wrong.
    state.pending = undefined;
    if (pending === undefined || pending.scheme !== scheme) return this.refuse(state, "no-challenge");
    let account: string | undefined;
    const result = verifyAuthenticateMessage({
      authenticate,
      negotiate: pending.negotiate,
      challenge: pending.challenge,
      lookup: (user, domain) => {
        const found = this.options.lookup(user, domain);
        account = found?.username;
        return found?.ntHash;
      },
      ...(this.options.expectedChannelBindings !== undefined
        ? { expectedChannelBindings: this.options.expectedChannelBindings }
        : {}),
    });
    if (!result.ok || account === undefined)
      return this.refuse(state, result.ok ? "unknown-user" : result.reason);
    let header: string | undefined;
    if (spnego && pending.mechTypes !== undefined) {
      // MS-SPNG 3.2.5.1: a mechListMIC the client sent must verify; the server answers with its own.
      if (
        mechListMIC !== undefined &&
        !ntlmSignature(result.exportedSessionKey, "client", pending.mechTypes).equals(mechListMIC)
      ) {
        return this.refuse(state, "mic");
      }
      const token = encodeNegTokenResp({
        negState: "accept-completed",
        ...(mechListMIC !== undefined
          ? { mechListMIC: ntlmSignature(result.exportedSessionKey, "server", pending.mechTypes) }
          : {}),
      });
      header = `Negotiate ${token.toString("base64")}`;
    }
    state.user = account;
    this.authenticated++;
    return { kind: "ok", user: account, ...(header !== undefined ? { header } : {}) };
  }
}
