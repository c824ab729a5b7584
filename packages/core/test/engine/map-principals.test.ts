// Principal mapping of a settings restore (restore/map-principals.ts): table tests of what is
// rewritten, what is left out and reported, and which rules are not written at all.
import type { InboxRule } from "@ewsvault/core";
import { describe, expect, it } from "vitest";
import {
  mapDelegate,
  mapPermissions,
  mapRule,
  type UnmappedSink,
} from "../../src/engine/restore/map-principals.js";
import type { UnmappedPrincipal } from "../../src/engine/restore/settings-types.js";

const map = new Map([
  ["ann@old.test", "ann@new.test"],
  ["bob@old.test", "bob@new.test"],
]);

function sink(): { sink: UnmappedSink; seen: UnmappedPrincipal[] } {
  const seen: UnmappedPrincipal[] = [];
  return { sink: (p) => seen.push(p), seen };
}

function rule(
  conditions: InboxRule["conditions"],
  actions: InboxRule["actions"],
  exceptions = {},
): InboxRule {
  return { displayName: "r", priority: 1, isEnabled: true, conditions, exceptions, actions };
}

describe("mapping principals of settings", () => {
  it("permissions: Default and Anonymous pass, people are mapped by address (case-insensitive), SIDs dropped, the unmapped left out and reported", () => {
    const { sink: report, seen } = sink();
    const out = mapPermissions(
      [
        { user: { distinguishedUser: "Default" }, level: "None" },
        { user: { distinguishedUser: "Anonymous" }, level: "None" },
        { user: { primarySmtpAddress: "Ann@Old.test", sid: "S-1", displayName: "Ann" }, level: "Reviewer" },
        { user: { primarySmtpAddress: "eve@old.test" }, level: "Editor" },
        { user: { sid: "S-9" }, level: "Author" },
      ],
      map,
      "permissions:Inbox",
      report,
    );
    expect(out.map((p) => [p.user, p.level])).toEqual([
      [{ distinguishedUser: "Default" }, "None"],
      [{ distinguishedUser: "Anonymous" }, "None"],
      [{ primarySmtpAddress: "ann@new.test" }, "Reviewer"],
    ]);
    expect(seen).toEqual([
      {
        kind: "folderPermissions",
        entry: "permissions:Inbox",
        field: "permission",
        address: "eve@old.test",
        code: "SETTINGS_PRINCIPAL_UNMAPPED",
      },
      {
        kind: "folderPermissions",
        entry: "permissions:Inbox",
        field: "permission",
        address: "S-9",
        code: "SETTINGS_PRINCIPAL_UNMAPPED",
      },
    ]);
  });

  it("delegates: mapped, or undefined and reported", () => {
    const { sink: report, seen } = sink();
    const ann = { user: { primarySmtpAddress: "ann@old.test" }, permissions: { Calendar: "Editor" } };
    expect(mapDelegate(ann, map, "delegate:ann", report)?.user).toEqual({
      primarySmtpAddress: "ann@new.test",
    });
    expect(
      mapDelegate({ ...ann, user: { primarySmtpAddress: "eve@old.test" } }, map, "delegate:eve", report),
    ).toBeUndefined();
    expect(seen.map((p) => [p.kind, p.field, p.address])).toEqual([
      ["delegates", "delegate", "eve@old.test"],
    ]);
  });

  it("rules: addresses of conditions and actions mapped; an action losing some recipients keeps the rest", () => {
    const { sink: report, seen } = sink();
    const mapped = mapRule(
      rule(
        { FromAddresses: { addresses: [{ emailAddress: "ann@old.test", name: "Ann" }] } },
        {
          ForwardToRecipients: {
            addresses: [{ emailAddress: "bob@old.test" }, { emailAddress: "eve@old.test" }],
          },
          MarkAsRead: { boolean: true },
        },
      ),
      map,
      "rule:1:r",
      report,
    );
    expect(mapped).toEqual({
      rule: rule(
        { FromAddresses: { addresses: [{ emailAddress: "ann@new.test" }] } },
        {
          ForwardToRecipients: { addresses: [{ emailAddress: "bob@new.test" }] },
          MarkAsRead: { boolean: true },
        },
      ),
    });
    expect(seen.map((p) => [p.field, p.address])).toEqual([["ForwardToRecipients", "eve@old.test"]]);
  });

  it("rules: a condition or exception left naming no one, or no action left, is not written (it would act on all mail)", () => {
    const { sink: report, seen } = sink();
    const widened = mapRule(
      rule(
        { FromAddresses: { addresses: [{ emailAddress: "eve@old.test" }] } },
        { Delete: { boolean: true } },
      ),
      map,
      "rule:1:r",
      report,
    );
    expect(widened).toEqual({ skipped: expect.stringContaining("FromAddresses") });
    const exception = mapRule(
      rule(
        {},
        { Delete: { boolean: true } },
        { SentToAddresses: { addresses: [{ emailAddress: "eve@old.test" }] } },
      ),
      map,
      "rule:2:r",
      report,
    );
    expect(exception).toEqual({ skipped: expect.stringContaining("SentToAddresses") });
    const noAction = mapRule(
      rule({}, { RedirectToRecipients: { addresses: [{ emailAddress: "eve@old.test" }] } }),
      map,
      "rule:3:r",
      report,
    );
    expect(noAction).toEqual({ skipped: expect.stringContaining("RedirectToRecipients") });
    expect(seen.map((p) => p.field)).toEqual(["FromAddresses", "SentToAddresses", "RedirectToRecipients"]);
  });
});
