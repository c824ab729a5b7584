// MS-NLMP 4.2.4 (NTLMv2) published test vectors, both directions: the client must produce the
// spec's AUTHENTICATE byte for byte, and the server must accept it and recover the session key.
import { describe, expect, it } from "vitest";
import {
  channelBindingsHash,
  createAuthenticateMessage,
  decodeAuthenticate,
  decodeChallenge,
  encodeChallenge,
  ntHash,
  ntowfV2,
  rc4,
  verifyAuthenticateMessage,
} from "../src/index.js";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

// 4.2.4.3 CHALLENGE_MESSAGE (flags 0xe28a8233, target "Server", target info: Domain, Server).
const CHALLENGE = hex(
  "4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef00000000000000002400240044000000060070170000000f53006500720076006500720002000c0044006f006d00610069006e0001000c0053006500720076006500720000000000",
);
// 4.2.4.3 AUTHENTICATE_MESSAGE.
const AUTHENTICATE = hex(
  "4e544c4d5353500003000000180018006c00000054005400840000000c000c00480000000800080054000000100010005c00000010001000d8000000358288e20501280a0000000f44006f006d00610069006e00550073006500720043004f004d005000550054004500520086c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa68cd0ab851e51c96aabc927bebef6a1c01010000000000000000000000000000aaaaaaaaaaaaaaaa0000000002000c0044006f006d00610069006e0001000c005300650072007600650072000000000000000000c5dad2544fc9799094ce1ce90bc9d03e",
);
const RANDOM_SESSION_KEY = Buffer.alloc(16, 0x55);
const CLIENT_CHALLENGE = Buffer.alloc(8, 0xaa);
// The spec's Time is zero: 1601-01-01 in Unix milliseconds.
const SPEC_TIME_MS = -11_644_473_600_000;

describe("MS-NLMP 4.2.4 NTLMv2 vectors", () => {
  it("derives NTOWFv2 (4.2.4.1.1) and the key exchange (4.2.4.2.3)", () => {
    const key = ntowfV2(ntHash("Password"), "User", "Domain");
    expect(key.toString("hex")).toBe("0c868a403bfd7a93a3001ef22ef02e3f");
    expect(rc4(hex("8de40ccadbc14a82f15cb0ad0de95ca3"), RANDOM_SESSION_KEY).toString("hex")).toBe(
      "c5dad2544fc9799094ce1ce90bc9d03e",
    );
  });

  it("decodes and re-encodes the spec's CHALLENGE byte for byte", () => {
    const challenge = decodeChallenge(CHALLENGE);
    expect(challenge.flags).toBe(0xe28a8233);
    expect(challenge.targetName).toBe("Server");
    expect(challenge.serverChallenge.toString("hex")).toBe("0123456789abcdef");
    expect(encodeChallenge(challenge).equals(CHALLENGE)).toBe(true);
  });

  it("client: computes the spec's AUTHENTICATE byte for byte", () => {
    const result = createAuthenticateMessage({
      credentials: { user: "User", domain: "Domain", password: "Password" },
      negotiate: Buffer.alloc(0),
      challenge: CHALLENGE,
      workstation: "COMPUTER",
      now: SPEC_TIME_MS,
      clientChallenge: CLIENT_CHALLENGE,
      randomSessionKey: RANDOM_SESSION_KEY,
      flags: 0xe2888235,
      version: hex("0501280a0000000f"),
    });
    expect(result.message.toString("hex")).toBe(AUTHENTICATE.toString("hex"));
    const decoded = decodeAuthenticate(result.message);
    expect(decoded.lmChallengeResponse.toString("hex")).toBe(
      "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa",
    );
    expect(decoded.ntChallengeResponse.subarray(0, 16).toString("hex")).toBe(
      "68cd0ab851e51c96aabc927bebef6a1c",
    );
    expect(result.exportedSessionKey.equals(RANDOM_SESSION_KEY)).toBe(true);
  });

  it("server: accepts the spec's AUTHENTICATE and recovers the random session key", () => {
    const result = verifyAuthenticateMessage({
      authenticate: AUTHENTICATE,
      negotiate: Buffer.alloc(0),
      challenge: CHALLENGE,
      lookup: (user, domain) => (user === "User" && domain === "Domain" ? ntHash("Password") : undefined),
      now: SPEC_TIME_MS,
    });
    expect(result).toMatchObject({ ok: true, user: "User", domain: "Domain" });
    expect(result.ok && result.exportedSessionKey.equals(RANDOM_SESSION_KEY)).toBe(true);
  });

  it("server: refuses the spec's AUTHENTICATE with a wrong password, a stale timestamp, a missing channel binding", () => {
    const base = {
      authenticate: AUTHENTICATE,
      negotiate: Buffer.alloc(0),
      challenge: CHALLENGE,
      now: SPEC_TIME_MS,
    };
    expect(verifyAuthenticateMessage({ ...base, lookup: () => ntHash("password") })).toMatchObject({
      ok: false,
      reason: "wrong-password",
    });
    expect(
      verifyAuthenticateMessage({
        ...base,
        lookup: () => ntHash("Password"),
        now: SPEC_TIME_MS + 10 * 60_000,
      }),
    ).toMatchObject({ ok: false, reason: "stale-timestamp" });
    expect(
      verifyAuthenticateMessage({
        ...base,
        lookup: () => ntHash("Password"),
        expectedChannelBindings: Buffer.alloc(16, 1),
      }),
    ).toMatchObject({ ok: false, reason: "channel-binding" });
  });

  it("refuses to hash channel bindings of something that is not a certificate", () => {
    expect(() => channelBindingsHash(Buffer.from("not a certificate"))).toThrow(
      expect.objectContaining({ code: "NTLM_MALFORMED" }),
    );
  });
});
