// A full handshake between this package's client and server halves: MIC, channel bindings,
// SPNEGO with mechListMIC, and every refusal the server must make.
import { execFileSync } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureCommand } from "@ewsvault/testkit";
import { describe, expect, it } from "vitest";
import {
  CLIENT_FLAGS,
  channelBindingsHash,
  createAuthenticateMessage,
  createChallengeMessage,
  createNegotiateMessage,
  decodeAuthenticate,
  decodeNegTokenInit,
  decodeNegTokenResp,
  encodeAuthenticate,
  encodeNegTokenInit,
  encodeNegTokenResp,
  NTLM_MECH_TYPES,
  NtlmFlags,
  ntHash,
  ntlmSignature,
  tlsServerEndPoint,
  verifyAuthenticateMessage,
} from "../src/index.js";

const credentials = { user: "ewsadmin", domain: "CONTOSO", password: "correct horse" };
const lookup = (user: string) => (user.toLowerCase() === "ewsadmin" ? ntHash("correct horse") : undefined);
const names = {
  netbiosDomain: "CONTOSO",
  netbiosComputer: "EX01",
  dnsDomain: "contoso.test",
  dnsComputer: "ex01.contoso.test",
};

function handshake(options: { password?: string; channelBindings?: Buffer } = {}) {
  const negotiate = createNegotiateMessage();
  const { message: challenge } = createChallengeMessage({ negotiate, ...names });
  const result = createAuthenticateMessage({
    credentials: { ...credentials, password: options.password ?? credentials.password },
    negotiate,
    challenge,
    ...(options.channelBindings !== undefined ? { channelBindings: options.channelBindings } : {}),
    targetName: "HTTP/ex01.contoso.test",
  });
  return { negotiate, challenge, ...result };
}

describe("NTLMv2 handshake", () => {
  it("negotiates signing like a Windows client and never sends LM or NTLMv1 responses", () => {
    const { message, flags } = handshake();
    expect(CLIENT_FLAGS & NtlmFlags.SIGN).toBeTruthy();
    expect(flags & NtlmFlags.EXTENDED_SESSIONSECURITY).toBeTruthy();
    expect(flags & NtlmFlags.KEY_EXCH).toBeTruthy();
    expect(flags & NtlmFlags.LM_KEY).toBe(0);
    const decoded = decodeAuthenticate(message);
    // A server timestamp was present: LM response is Z(24), the MIC is there.
    expect(decoded.lmChallengeResponse.equals(Buffer.alloc(24))).toBe(true);
    expect(decoded.ntChallengeResponse.length).toBeGreaterThan(24);
    expect(decoded.mic?.length).toBe(16);
  });

  it("is accepted with the right password and the same session key on both sides", () => {
    const cbt = Buffer.alloc(16, 7);
    const client = handshake({ channelBindings: cbt });
    const result = verifyAuthenticateMessage({
      authenticate: client.message,
      negotiate: client.negotiate,
      challenge: client.challenge,
      lookup,
      expectedChannelBindings: cbt,
    });
    expect(result.ok).toBe(true);
    expect(result.ok && result.exportedSessionKey.equals(client.exportedSessionKey)).toBe(true);
  });

  it("refuses a wrong password, a missing or wrong channel binding, a tampered MIC, a replay against another challenge, NTLMv1", () => {
    const base = (c: ReturnType<typeof handshake>) => ({
      authenticate: c.message,
      negotiate: c.negotiate,
      challenge: c.challenge,
      lookup,
    });
    expect(verifyAuthenticateMessage(base(handshake({ password: "wrong" })))).toMatchObject({
      ok: false,
      reason: "wrong-password",
    });
    const plain = handshake();
    expect(
      verifyAuthenticateMessage({ ...base(plain), expectedChannelBindings: Buffer.alloc(16, 7) }),
    ).toMatchObject({
      ok: false,
      reason: "channel-binding",
    });
    const wrongCbt = handshake({ channelBindings: Buffer.alloc(16, 8) });
    expect(
      verifyAuthenticateMessage({ ...base(wrongCbt), expectedChannelBindings: Buffer.alloc(16, 7) }),
    ).toMatchObject({
      ok: false,
      reason: "channel-binding",
    });
    // The MIC covers the NEGOTIATE: a server that saw another one (downgrade) must refuse.
    expect(
      verifyAuthenticateMessage({
        ...base(plain),
        negotiate: createNegotiateMessage(CLIENT_FLAGS & ~NtlmFlags.SIGN),
      }),
    ).toMatchObject({
      ok: false,
      reason: "mic",
    });
    const other = handshake();
    expect(
      verifyAuthenticateMessage({ ...base(plain), challenge: other.challenge, negotiate: other.negotiate }),
    ).toMatchObject({
      ok: false,
      reason: "wrong-password",
    });
    const v1 = encodeAuthenticate(
      {
        ...decodeAuthenticate(plain.message),
        ntChallengeResponse: Buffer.alloc(24, 1),
        lmChallengeResponse: Buffer.alloc(24, 2),
      },
      false,
    );
    expect(verifyAuthenticateMessage({ ...base(plain), authenticate: v1 })).toMatchObject({
      ok: false,
      reason: "ntlmv1",
    });
    expect(verifyAuthenticateMessage({ ...base(plain), lookup: () => undefined })).toMatchObject({
      ok: false,
      reason: "unknown-user",
    });
  });

  it("wraps the legs in SPNEGO with a mechListMIC both sides agree on", () => {
    const client = handshake();
    const init = decodeNegTokenInit(encodeNegTokenInit(client.negotiate));
    expect(init.offersNtlm).toBe(true);
    expect(init.mechToken?.equals(client.negotiate)).toBe(true);
    const mic = ntlmSignature(client.exportedSessionKey, "client", NTLM_MECH_TYPES);
    const resp = decodeNegTokenResp(encodeNegTokenResp({ responseToken: client.message, mechListMIC: mic }));
    expect(resp.responseToken?.equals(client.message)).toBe(true);
    const verified = verifyAuthenticateMessage({
      authenticate: client.message,
      negotiate: client.negotiate,
      challenge: client.challenge,
      lookup,
    });
    expect(
      verified.ok &&
        ntlmSignature(verified.exportedSessionKey, "client", init.mechTypes).equals(
          resp.mechListMIC ?? Buffer.alloc(0),
        ),
    ).toBe(true);
    expect(decodeNegTokenResp(encodeNegTokenResp({ negState: "accept-incomplete" })).negState).toBe(
      "accept-incomplete",
    );
  });
});

describe("tls-server-end-point channel bindings (RFC 5929)", () => {
  const dir = mkdtempSync(join(tmpdir(), "ntlm-cbt-"));
  const openssl = ensureCommand("openssl", "openssl");
  const cert = (digest: string) => {
    const base = join(dir, digest);
    execFileSync(
      openssl,
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        `-${digest}`,
        "-subj",
        "/CN=ex01",
        "-days",
        "1",
        "-keyout",
        `${base}.key`,
        "-out",
        `${base}.pem`,
      ],
      { stdio: "ignore" },
    );
    return new X509Certificate(readFileSync(`${base}.pem`)).raw;
  };

  it("hashes with SHA-256 for SHA-1 and SHA-256 signatures and with the signature's hash above that", () => {
    const sha1 = cert("sha1");
    expect(tlsServerEndPoint(sha1).equals(createHash("sha256").update(sha1).digest())).toBe(true);
    const sha256 = cert("sha256");
    expect(tlsServerEndPoint(sha256).equals(createHash("sha256").update(sha256).digest())).toBe(true);
    const sha384 = cert("sha384");
    expect(tlsServerEndPoint(sha384).equals(createHash("sha384").update(sha384).digest())).toBe(true);
  });

  it("is the MD5 of the gss_channel_bindings_struct", () => {
    const der = cert("sha256");
    const appData = Buffer.concat([
      Buffer.from("tls-server-end-point:"),
      createHash("sha256").update(der).digest(),
    ]);
    const struct = Buffer.concat([Buffer.alloc(16), Buffer.from([appData.length, 0, 0, 0]), appData]);
    expect(channelBindingsHash(der).equals(createHash("md5").update(struct).digest())).toBe(true);
  });
});
