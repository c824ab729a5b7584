// The settings checks can fail: a memory mailbox given a small in-memory settings store passes
// them, and each deliberately broken variant fails the check about the contract it breaks.
import { describe, expect, it } from "vitest";
import {
  EwsVaultError,
  type MailboxSettingsRead,
  type MailboxSource,
  type MailboxTarget,
  type OofSettings,
  type SettingsKind,
} from "../src/index.js";
import { type MailboxConformanceOptions, MemoryExchange, runMailboxChecks } from "../src/testing/index.js";

const MAILBOX = "settings@contoso.test";
const OOF: OofSettings = {
  state: "Scheduled",
  externalAudience: "Known",
  duration: { start: "2026-07-01T08:00:00Z", end: "2026-07-15T17:00:00Z" },
  internalReply: { message: "<p>Away</p>", lang: "en-US" },
  externalReply: { message: "Away" },
};

type Variant = {
  declare?: readonly SettingsKind[];
  getSettings?: MailboxSource["getSettings"];
  features?: boolean;
};

function harness(variant: Variant = {}): MailboxConformanceOptions {
  return {
    name: "settings",
    features: { target: true, probeFolders: false, settings: variant.features ?? true },
    async create() {
      const exchange = new MemoryExchange();
      exchange.addMailbox(MAILBOX);
      let oof = OOF;
      const kinds = variant.declare ?? ["oof"];
      const getSettings: MailboxSource["getSettings"] =
        variant.getSettings ??
        (async (_mailbox, asked, options) => {
          if (options?.signal?.aborted) throw new EwsVaultError("EWS_ABORTED", "aborted");
          const read: Record<string, unknown> = {};
          for (const kind of asked)
            read[kind] =
              kind === "oof"
                ? { ok: true, value: oof }
                : { ok: false, code: "EWS_OPERATION_UNSUPPORTED", message: "no" };
          return read as MailboxSettingsRead;
        });
      // The memory mailbox's own methods, bound (its private fields need the real receiver).
      const bound = Object.fromEntries(
        Object.getOwnPropertyNames(MemoryExchange.prototype)
          .filter((name) => name !== "constructor")
          .map((name) => [name, (exchange as unknown as Record<string, (...a: unknown[]) => unknown>)[name]])
          .filter(([, fn]) => typeof fn === "function")
          .map(([name, fn]) => [name, (fn as (...a: unknown[]) => unknown).bind(exchange)]),
      );
      const wrapped = {
        ...bound,
        capabilities: { ...exchange.capabilities, settingsKinds: kinds },
        getSettings,
        async applySettings(_mailbox: string, settings: { oof?: OofSettings }) {
          if (settings.oof !== undefined) oof = settings.oof;
          return { oof: { ok: true, entries: [{ entry: "oof", ok: true }] } };
        },
      } as unknown as MailboxSource & MailboxTarget;
      return { source: wrapped, target: wrapped, mailbox: MAILBOX, fixture: exchange.fixture(MAILBOX) };
    },
  };
}

async function settingsFailures(options: MailboxConformanceOptions): Promise<string[]> {
  const outcomes = (await runMailboxChecks(options)).filter((o) => o.check.concern === "settings");
  expect(outcomes.length).toBeGreaterThanOrEqual(options.features.settings ? 4 : 1);
  return outcomes.filter((o) => o.error !== undefined).map((o) => o.check.name);
}

describe("the settings conformance checks", () => {
  it("pass a source that reads and writes its settings as the contract says", async () => {
    expect(await settingsFailures(harness())).toEqual([]);
  });

  it("catch settingsKinds declared without features.settings", async () => {
    expect(await settingsFailures(harness({ features: false }))).toEqual([
      "declares settingsKinds exactly when it implements getSettings (and applySettings on its target)",
    ]);
  });

  it("catch a kind's failure without an ErrorCode, and a kind left out", async () => {
    const failed = await settingsFailures(
      harness({
        declare: ["oof", "delegates"],
        getSettings: async (_m, asked, options) => {
          if (options?.signal?.aborted) throw new EwsVaultError("EWS_ABORTED", "aborted");
          return asked.length === 0
            ? {}
            : ({ oof: { ok: false, code: "ErrorAccessDenied", message: "x" } } as never);
        },
      }),
    );
    expect(failed).toContain(
      "getSettings answers one JSON-serialisable result per kind asked, failures as results with an ErrorCode",
    );
  });

  it("catch a getSettings that ignores an aborted signal", async () => {
    const failed = await settingsFailures(
      harness({ getSettings: async () => ({ oof: { ok: true, value: OOF } }) as MailboxSettingsRead }),
    );
    expect(failed).toContain("getSettings with an aborted signal rejects with EWS_ABORTED");
  });
});
