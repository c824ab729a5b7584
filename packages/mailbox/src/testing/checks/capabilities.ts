// Checks of what an implementation declares: capabilities as well-formed data, the optional
// features it claims matching what the instance has, and its mailbox info.
import { expect } from "vitest";
import { messageRoot } from "../helpers.js";
import type { MailboxCheck } from "./check.js";

export const capabilityChecks: readonly MailboxCheck[] = [
  {
    concern: "capabilities",
    name: "declares well-formed capabilities, and exactly the optional features it has",
    async run({ source, target }, features) {
      const { capabilities } = source;
      expect(Number.isSafeInteger(capabilities.maxConcurrencyPerMailbox)).toBe(true);
      expect(capabilities.maxConcurrencyPerMailbox).toBeGreaterThanOrEqual(1);
      expect(capabilities.maxExportBatchBytes).toBeGreaterThan(0);
      expect(["undefined", "boolean"]).toContain(typeof capabilities.handsOverItemBytes);
      expect(typeof source.probeFolders === "function", "features.probeFolders vs source.probeFolders").toBe(
        features.probeFolders,
      );
      expect(target !== undefined, "features.target vs the instance's target").toBe(features.target);
      if (target !== undefined) {
        for (const method of [
          "getMailboxInfo",
          "findFolders",
          "createFolder",
          "findItems",
          "uploadItems",
          "close",
        ])
          expect(typeof (target as unknown as Record<string, unknown>)[method], `target.${method}`).toBe(
            "function",
          );
      }
    },
  },
  {
    concern: "capabilities",
    name: "getMailboxInfo names the mailbox and its msgfolderroot",
    async run({ source, mailbox }) {
      const info = await source.getMailboxInfo(mailbox);
      expect(info.smtpAddress.toLowerCase()).toBe(mailbox.toLowerCase());
      const root = await messageRoot(source, mailbox);
      expect(root.length).toBeGreaterThan(0);
      for (const id of Object.values(info.distinguishedFolders)) expect(typeof id).toBe("string");
    },
  },
];
