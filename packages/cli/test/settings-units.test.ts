// The CLI's settings words and summaries without a server: `--settings KINDS` parsing (short and
// engine names, categories as one configuration, unknown kinds refused with a code), the lines
// `ls --settings` prints per kind, and the exit code a settings restore report maps to.
import type { SettingsRestoreReport, StoredSettingsKind } from "@ewsvault/core";
import { describe, expect, it } from "vitest";
import { settingsExitCode } from "../src/commands/settings-restore.js";
import { ExitCode } from "../src/errors.js";
import { parseSettingsKinds } from "../src/settings-kinds.js";
import { summariseKind } from "../src/settings-summary.js";

describe("parseSettingsKinds", () => {
  it("a bare --settings and 'all' mean every kind the snapshot holds", () => {
    expect(parseSettingsKinds(true)).toEqual({});
    expect(parseSettingsKinds("all")).toEqual({});
  });

  it("maps the short names and the engine's names to engine kinds", () => {
    expect(parseSettingsKinds("rules, OOF,permissions,delegates")).toEqual({
      kinds: ["inboxRules", "oof", "folderPermissions", "delegates"],
    });
    expect(parseSettingsKinds("inboxRules,folderPermissions,userConfigurations")).toEqual({
      kinds: ["inboxRules", "folderPermissions", "userConfigurations"],
    });
  });

  it("categories is the CategoryList configuration alone, unless configurations is asked too", () => {
    expect(parseSettingsKinds("categories")).toEqual({
      kinds: ["userConfigurations"],
      userConfigurationNames: ["CategoryList"],
    });
    expect(parseSettingsKinds("categories,configurations")).toEqual({ kinds: ["userConfigurations"] });
  });

  it.each([
    ["rulez", 'unknown kind "rulez"'],
    ["rules,,oof", "empty kind"],
    ["all,rules", "cannot be combined"],
  ])("refuses %s with INVALID_ARGUMENT (exit 2)", (text, what) => {
    expect(() => parseSettingsKinds(text)).toThrow(
      expect.objectContaining({
        code: "INVALID_ARGUMENT",
        exitCode: ExitCode.usage,
        message: expect.stringContaining(what),
      }),
    );
  });
});

describe("summariseKind", () => {
  const ok = <T>(value: T, entryFailures: { entry: string; code: string; message: string }[] = []) =>
    ({ ok: true, value, entryFailures }) as unknown as StoredSettingsKind;

  it("counts rules and the disabled ones, listing them in priority order", () => {
    const rule = (priority: number, displayName: string, isEnabled: boolean) => ({
      displayName,
      priority,
      isEnabled,
      conditions: {},
      exceptions: {},
      actions: {},
    });
    const summary = summariseKind(
      "inboxRules",
      ok([rule(2, "Receipts", false), rule(1, "Newsletters", true), rule(3, "Boss", true)]),
    );
    expect(summary.line).toBe("inboxRules: 3 rules (1 disabled)");
    expect(summary.details).toEqual(["#1 Newsletters", "#2 Receipts (disabled)", "#3 Boss"]);
    expect(summary.counts).toMatchObject({ rules: 3, disabled: 1 });
  });

  it("says the OOF state, window and audience", () => {
    const reply = { message: "away" };
    expect(
      summariseKind(
        "oof",
        ok({
          state: "Scheduled",
          externalAudience: "Known",
          duration: { start: "2025-07-01T07:00:00Z", end: "2025-08-01T17:00:00Z" },
          internalReply: reply,
          externalReply: reply,
        }),
      ).line,
    ).toBe("oof: Scheduled 2025-07-01T07:00:00Z to 2025-08-01T17:00:00Z, external replies to Known");
    expect(
      summariseKind(
        "oof",
        ok({ state: "Disabled", externalAudience: "All", internalReply: reply, externalReply: reply }),
      ).line,
    ).toBe("oof: Disabled");
  });

  it("lists permission entries per folder, delegates with their levels, configuration names", () => {
    const permissions = summariseKind(
      "folderPermissions",
      ok(
        [
          {
            folderId: "calendar",
            calendar: true,
            permissions: [
              { user: { distinguishedUser: "Default" }, level: "FreeBusyTimeOnly" },
              { user: { primarySmtpAddress: "bob@contoso.test" }, level: "Reviewer" },
            ],
          },
          {
            folderId: "id-of-sent",
            calendar: false,
            permissions: [
              { user: { distinguishedUser: "Default" }, level: "None" },
              { user: { distinguishedUser: "Anonymous" }, level: "None" },
            ],
          },
        ],
        [{ entry: "contacts", code: "EWS_ACCESS_DENIED", message: "no" }],
      ),
      (id) => (id === "id-of-sent" ? "Sent Items" : id),
    );
    expect(permissions.line).toBe(
      "folderPermissions: 4 entries on 2 folders, 1 shared; 1 entry(ies) not backed up",
    );
    expect(permissions.details).toEqual([
      "calendar: Default FreeBusyTimeOnly, bob@contoso.test Reviewer",
      "1 other folder: default permissions only",
      "failed contacts: EWS_ACCESS_DENIED: no",
    ]);
    const delegates = summariseKind(
      "delegates",
      ok({
        deliverMeetingRequests: "DelegatesAndMe",
        users: [
          {
            user: { primarySmtpAddress: "eve@contoso.test" },
            permissions: { Calendar: "Editor", Inbox: "None" },
          },
        ],
      }),
    );
    expect(delegates.line).toBe("delegates: 1 delegate (meeting requests: DelegatesAndMe)");
    expect(delegates.details).toEqual(["eve@contoso.test: Calendar Editor"]);
    expect(
      summariseKind("userConfigurations", ok([{ folderId: "calendar", name: "CategoryList" }])).details,
    ).toEqual(["calendar/CategoryList"]);
  });

  it("says why a kind was not backed up", () => {
    const failed = {
      ok: false,
      code: "EWS_OPERATION_UNSUPPORTED",
      message: "no GetDelegate",
    } as StoredSettingsKind;
    expect(summariseKind("delegates", failed).line).toBe(
      "delegates: not backed up — EWS_OPERATION_UNSUPPORTED: no GetDelegate",
    );
  });
});

describe("settingsExitCode", () => {
  const report = (over: Partial<SettingsRestoreReport>): SettingsRestoreReport => ({
    snapshotId: "s",
    mailbox: "a@x.test",
    toMailbox: "b@x.test",
    dryRun: false,
    present: true,
    kinds: {},
    unmappedPrincipals: [],
    foldersCreated: 0,
    durationMs: 1,
    ...over,
  });
  const entry = (status: "written" | "skipped" | "failed" | "unchanged") => ({ entry: "oof", status });

  it("is ok when every entry was written or is unchanged", () => {
    expect(
      settingsExitCode(
        report({ kinds: { oof: { ok: true, entries: [entry("written"), entry("unchanged")] } } }),
      ),
    ).toBe(ExitCode.ok);
  });

  it("is partial for a failed kind, a failed or skipped entry, or an unmapped principal", () => {
    expect(
      settingsExitCode(
        report({
          kinds: { oof: { ok: false, failure: { code: "SETTINGS_NOT_STORED", message: "" }, entries: [] } },
        }),
      ),
    ).toBe(ExitCode.partial);
    for (const status of ["failed", "skipped"] as const)
      expect(settingsExitCode(report({ kinds: { oof: { ok: true, entries: [entry(status)] } } }))).toBe(
        ExitCode.partial,
      );
    expect(
      settingsExitCode(
        report({
          unmappedPrincipals: [
            {
              kind: "delegates",
              entry: "delegate:x@y.test",
              field: "delegate",
              address: "x@y.test",
              code: "SETTINGS_PRINCIPAL_UNMAPPED",
            },
          ],
        }),
      ),
    ).toBe(ExitCode.partial);
  });
});
