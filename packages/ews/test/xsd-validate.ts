// Validation of request bodies against Exchange 2016's messages.xsd with xmllint, many documents
// per run (loading the 600 KB schema dominates the cost). Shared by the schema tests.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { specPath } from "./shared-spec.js";

export const MESSAGES_SCHEMA = specPath("schema/messages.xsd");

let counter = 0;

/** One verdict per document, in order; `output` holds xmllint's lines about that document. */
export function validateAll(
  xmllint: string,
  dir: string,
  xmls: readonly string[],
): { ok: boolean; output: string }[] {
  const files = xmls.map((xml) => {
    const file = join(dir, `body-${counter++}.xml`);
    writeFileSync(file, `<?xml version="1.0" encoding="utf-8"?>${xml}`);
    return file;
  });
  let stderr = "";
  try {
    execFileSync(xmllint, ["--noout", "--schema", MESSAGES_SCHEMA, ...files], { stdio: "pipe" });
  } catch (error) {
    stderr = String((error as { stderr?: Buffer }).stderr ?? error);
  }
  return files.map((file) => {
    const lines = stderr
      .split("\n")
      .filter((line) => line.startsWith(`${file}:`) || line.startsWith(`${file} `));
    const failed =
      lines.some((line) => line.includes("fails to validate")) || lines.some((l) => l.includes("error"));
    return { ok: !failed && (stderr === "" || !stderr.includes(file)), output: lines.join("\n") };
  });
}
