// Records response bodies of a test's SOAP calls and validates them all against Exchange 2016's
// messages.xsd with xmllint at the end (the same check as schema.test.ts, for new shapes).
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MockEwsServer } from "@ewsvault/mock-ews";
import { ensureCommand, tempDir } from "@ewsvault/testkit";
import { expect } from "vitest";
import { soap, specPath } from "./helpers.js";

export class SchemaRecorder {
  readonly bodies: { name: string; body: string }[] = [];

  constructor(private readonly server: () => MockEwsServer) {}

  /** One SOAP call (as the first mailbox); the body is kept for validation. Returns the response text. */
  async call(name: string, body: string): Promise<string> {
    const result = await soap(this.server(), body);
    expect(result.status, `${name}: ${result.text.slice(0, 400)}`).toBe(200);
    this.bodies.push({ name, body: result.body });
    return result.text;
  }

  /** Every recorded body validates; returns the failures (empty when all do). */
  failures(): Promise<string[]> {
    return schemaFailures(this.bodies);
  }
}

/**
 * Validates response bodies against Exchange 2016's messages.xsd with xmllint (installed when
 * missing); returns xmllint's complaints, each prefixed with the name of its body (empty: all valid).
 */
export async function schemaFailures(bodies: readonly { name: string; body: string }[]): Promise<string[]> {
  const xmllint = ensureCommand("xmllint", "libxml2-utils");
  const schema = specPath("schema/messages.xsd");
  const dir = await tempDir("mock-ews-schema-");
  try {
    const files = bodies.map((entry, index) => {
      const file = join(dir.path, `${String(index).padStart(3, "0")}.xml`);
      writeFileSync(file, entry.body);
      return file;
    });
    let output = "";
    try {
      execFileSync(xmllint, ["--noout", "--schema", schema, ...files], { stdio: "pipe" });
    } catch (error) {
      output = String((error as { stderr?: Buffer }).stderr ?? error);
    }
    return output
      .split("\n")
      .filter((line) => line.length > 0 && !line.endsWith(" validates"))
      .map((line) => {
        const match = /\/(\d{3})\.xml/.exec(line);
        return match === null ? line : `${bodies[Number(match[1])]!.name}: ${line}`;
      });
  } finally {
    await dir.cleanup();
  }
}

/** The first capture of `pattern` in `text` (fails the test when there is none). */
export function capture(text: string, pattern: RegExp): string {
  const match = pattern.exec(text);
  expect(match, `${pattern} in ${text.slice(0, 600)}`).not.toBeNull();
  return match![1]!;
}

export function all(text: string, pattern: RegExp): string[] {
  return [...text.matchAll(new RegExp(pattern.source, "g"))].map((m) => m[1]!);
}
