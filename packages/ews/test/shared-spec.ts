// Locates /work/shared/ews-spec (recordings and schema) relative to this file and fails
// loudly when it is missing: these tests are meaningless without the real-server data.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const SPEC_DIR = fileURLToPath(new URL("../../../../shared/ews-spec/", import.meta.url));

export function specPath(relative: string): string {
  const path = `${SPEC_DIR}${relative}`;
  if (!existsSync(path))
    throw new Error(`EWS reference data missing: ${path} (expected /work/shared/ews-spec)`);
  return path;
}

export interface RecordedResponse {
  readonly file: string;
  readonly index: number;
  readonly statusCode?: number;
  readonly error: boolean;
  readonly body: string;
}

export function recordings(): RecordedResponse[] {
  const dir = specPath("recordings");
  const out: RecordedResponse[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()) {
    const entries = JSON.parse(readFileSync(`${dir}/${file}`, "utf8")) as Array<Record<string, unknown>>;
    entries.forEach((entry, index) => {
      out.push({
        file,
        index,
        statusCode: typeof entry.statusCode === "number" ? entry.statusCode : undefined,
        error: entry.error === true,
        body: typeof entry.body === "string" ? entry.body : "",
      });
    });
  }
  if (out.length < 150) throw new Error(`expected the ~194 recorded responses, found ${out.length}`);
  return out;
}
