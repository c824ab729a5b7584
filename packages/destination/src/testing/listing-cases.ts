// Conformance cases for list(prefix): exact string-prefix semantics, many objects across pages,
// each object once while others change, and listings after removes and overwrites. Eventually
// consistent destinations are polled through settledNames().

import { describe, expect } from "vitest";
import { collect, listNames, mapWithConcurrency, randomBytes } from "./helpers.js";
import type { SuiteContext } from "./suite-context.js";

/** list(prefix). */
export function declareListingCases(context: SuiteContext): void {
  const { check, settledNames, manyObjects } = context;
  describe("list", () => {
    check("an empty destination lists nothing, with or without prefix", async (destination) => {
      expect(await listNames(destination)).toEqual([]);
      expect(await listNames(destination, "")).toEqual([]);
      expect(await listNames(destination, "x/")).toEqual([]);
      expect(await listNames(destination, "x")).toEqual([]);
    });

    check(
      "uses exact string-prefix semantics over nested names, each object once, with sizes",
      async (destination) => {
        const all = ["p/a", "p/ab", "p/b/c", "p/b/d/e", "pa/x", "p-x", "q/a", "p/a.b"];
        for (const [i, objectName] of all.entries()) await destination.save(objectName, randomBytes(i + 1));
        const cases: Array<[string | undefined, string[]]> = [
          [undefined, all],
          ["", all],
          ["p", ["p/a", "p/ab", "p/b/c", "p/b/d/e", "pa/x", "p-x", "p/a.b"]],
          ["p/", ["p/a", "p/ab", "p/b/c", "p/b/d/e", "p/a.b"]],
          ["p/a", ["p/a", "p/ab", "p/a.b"]],
          ["p/b", ["p/b/c", "p/b/d/e"]],
          ["p/b/", ["p/b/c", "p/b/d/e"]],
          ["p/b/d", ["p/b/d/e"]],
          ["p/b/d/e", ["p/b/d/e"]],
          ["p/c/", []],
          ["p/b/c/", []],
          ["zzz", []],
        ];
        for (const [prefix, expected] of cases) {
          expect(await settledNames(destination, prefix ?? "", expected), `prefix ${String(prefix)}`).toEqual(
            [...expected].sort(),
          );
        }
        const infos = await collect(destination.list("p/b"));
        for (const info of infos) expect(info.size).toBe(all.indexOf(info.name) + 1);
      },
    );

    check(
      `lists ${manyObjects} objects saved with maxConnections concurrency, each once`,
      async (destination) => {
        const names = Array.from(
          { length: manyObjects },
          (_, i) => `many/${i % 7}/${i % 3}/obj-${String(i).padStart(6, "0")}`,
        );
        const content = (i: number) => new TextEncoder().encode(String(i));
        await mapWithConcurrency(names, destination.capabilities.maxConnections, (objectName, i) =>
          destination.save(objectName, content(i)),
        );
        const listed = await settledNames(destination, "many/", names);
        expect(listed.length).toBe(manyObjects);
        expect(new Set(listed).size).toBe(manyObjects);
        expect(listed).toEqual([...names].sort());
        const underFour = names.filter((n) => n.startsWith("many/4/"));
        expect(await settledNames(destination, "many/4/", underFour)).toEqual([...underFour].sort());
        const deep = names.filter((n) => n.startsWith("many/5/2/"));
        expect(await settledNames(destination, "many/5/2/", deep)).toEqual([...deep].sort());
        const infos = await collect(destination.list("many/5/2/"));
        for (const info of infos) {
          const index = Number(info.name.slice(info.name.lastIndexOf("-") + 1));
          expect(info.size).toBe(content(index).length);
        }
      },
      120_000,
    );

    check(
      "while other objects are saved and removed, untouched objects are listed exactly once",
      async (destination) => {
        const stable = Array.from({ length: 100 }, (_, i) => `mix/s-${String(i).padStart(3, "0")}`);
        await mapWithConcurrency(stable, destination.capabilities.maxConnections, (objectName, i) =>
          destination.save(objectName, randomBytes(16, i)),
        );
        expect(await settledNames(destination, "mix/", stable)).toEqual(stable);
        let churning = true;
        const churn = (async () => {
          // Same directory (or key range) as the stable objects, so the listing walks through the churn.
          for (let i = 0; churning || i < 10; i++) {
            await destination.save(`mix/c-${String(i % 20).padStart(3, "0")}`, randomBytes(16, 1000 + i));
            if (i % 3 === 0) await destination.remove(`mix/c-${String((i + 7) % 20).padStart(3, "0")}`);
          }
        })();
        let listed: string[];
        try {
          listed = (await collect(destination.list("mix/"))).map((info) => info.name);
        } finally {
          churning = false;
          await churn;
        }
        const counts = new Map<string, number>();
        for (const objectName of listed) counts.set(objectName, (counts.get(objectName) ?? 0) + 1);
        for (const objectName of stable) expect(counts.get(objectName), objectName).toBe(1);
        for (const [objectName, count] of counts) {
          expect(objectName).toMatch(/^mix\/[sc]-\d{3}$/);
          expect(count, `${objectName} listed ${count} times`).toBe(1);
        }
      },
    );

    check("reflects removes and overwrites (one entry, new size)", async (destination) => {
      await destination.save("r/a", randomBytes(5));
      await destination.save("r/b", randomBytes(6));
      await destination.save("r/b", randomBytes(60));
      await destination.remove("r/a");
      expect(await settledNames(destination, "r/", ["r/b"])).toEqual(["r/b"]);
      const infos = await collect(destination.list("r/"));
      expect(infos.map((info) => [info.name, info.size])).toEqual([["r/b", 60]]);
    });
  });
}
