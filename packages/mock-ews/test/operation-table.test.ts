// The README's operation table stays true: it lists exactly the operations of Exchange 2016's
// services.wsdl, an operation is "served" or "partly served" exactly when the server's dispatch
// table has its request element, "partly served" says what is missing, and the dispatch table
// serves nothing the WSDL does not have. A served operation answers something other than the
// unknown-operation fault; a not-served one answers that fault.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPERATIONS } from "../src/operations/index.js";
import { soap, specPath } from "./helpers.js";

interface Row {
  readonly operation: string;
  readonly status: string;
  readonly notes: string;
}

function readmeRows(): Row[] {
  const readme = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
  const start = readme.indexOf("<!-- operation-table:start -->");
  const end = readme.indexOf("<!-- operation-table:end -->");
  expect(start).toBeGreaterThan(0);
  expect(end).toBeGreaterThan(start);
  return readme
    .slice(start, end)
    .split("\n")
    .filter((line) => line.startsWith("| ") && !line.startsWith("| operation") && !line.startsWith("| ---"))
    .map((line) => {
      const [operation, status, notes] = line
        .slice(1, -1)
        .split(" | ")
        .map((cell) => cell.trim());
      return { operation: operation!, status: status!, notes: notes ?? "" };
    });
}

/**
 * WSDL operation name -> the element of its input message's request part. The operations are
 * the binding's: the shipped WSDL's portType lacks three of them (FindConversation,
 * ApplyConversationAction, GetConversationItems) that its binding and messages define.
 */
function wsdlOperations(): Map<string, string> {
  const wsdl = readFileSync(specPath("schema/services.wsdl"), "utf8");
  const messages = new Map<string, string>();
  for (const m of wsdl.matchAll(/<wsdl:message name="(\w+)">([\s\S]*?)<\/wsdl:message>/g)) {
    const part = /<wsdl:part name="\w+" element="tns:(\w+)"/.exec(m[2]!);
    if (part !== null) messages.set(m[1]!, part[1]!);
  }
  const binding = /<wsdl:binding [^>]*>([\s\S]*?)<\/wsdl:binding>/.exec(wsdl)![1]!;
  const operations = new Map<string, string>();
  for (const op of binding.matchAll(/<wsdl:operation name="(\w+)">/g)) {
    const element = messages.get(`${op[1]}SoapIn`);
    expect(element, op[1]).toBeDefined();
    operations.set(op[1]!, element!);
  }
  return operations;
}

describe("README operation table", () => {
  let server: MockEwsServer;
  beforeAll(async () => {
    server = await startMockEwsServer({ seed: 71, mailboxes: 1, itemsPerMailbox: 2 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("matches services.wsdl and the dispatch table", () => {
    const rows = readmeRows();
    const wsdl = wsdlOperations();
    expect(wsdl.size).toBe(122);
    expect(rows.map((r) => r.operation)).toEqual([...wsdl.keys()].sort());
    const dispatched = new Set(Object.keys(OPERATIONS));
    for (const row of rows) {
      const element = wsdl.get(row.operation)!;
      expect(["served", "partly served", "not served"], row.operation).toContain(row.status);
      expect(dispatched.has(element), `${row.operation} (${element}) is "${row.status}"`).toBe(
        row.status !== "not served",
      );
      if (row.status === "partly served") expect(row.notes, row.operation).not.toBe("");
    }
    const wsdlElements = new Set(wsdl.values());
    expect([...dispatched].filter((name) => !wsdlElements.has(name))).toEqual([]);
  });

  it("not-served operations get the unknown-operation fault, served ones do not", async () => {
    const wsdl = wsdlOperations();
    for (const row of readmeRows()) {
      const element = wsdl.get(row.operation)!;
      const result = await soap(server, `<m:${element}/>`);
      const refused = result.status === 500 && result.text.includes("element is not declared.");
      expect(refused, `${row.operation}: ${result.text.slice(0, 300)}`).toBe(row.status === "not served");
    }
  });
});
