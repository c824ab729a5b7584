// A set's keys reach the engine as `ewsvault backup --set` passes them, so the service backs up
// the same content as a person running the CLI.
import { describe, expect, it } from "vitest";
import type { ServiceSetConfig } from "../src/set-config.js";
import { engineOptionsOf } from "../src/set-selection.js";

const base: ServiceSetConfig = { mailboxes: ["a@contoso.test"] };

describe("engineOptionsOf", () => {
  it("passes settings: false and associatedItems: false to the engine", () => {
    const options = engineOptionsOf({ ...base, settings: false, associatedItems: false });
    expect(options.settings).toBe(false);
    expect(options.associatedItems).toBe(false);
  });

  it("leaves both to the engine's default when the set does not say", () => {
    const options = engineOptionsOf(base);
    expect("settings" in options).toBe(false);
    expect("associatedItems" in options).toBe(false);
    expect(options.selection.roots).toEqual(["mailbox"]);
  });
});
