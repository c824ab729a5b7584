// Summarises V8 CPU profiles (node --cpu-prof, one file per thread) by who spent the time: each
// sample is charged to the nearest workspace package on its stack (mock-ews, ews, core, ...),
// so time inside shared libraries (fast-xml-parser, undici, zlib) lands on the package that
// called them. Two function lists follow: self time, and total time (the function anywhere on
// the stack, counted once per sample), which shows what a call costs with everything under it.
//
//   tsx benchmarks/report/profile-summary.ts <dir with .cpuprofile files>
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function packageOf(url: string): string | undefined {
  const m = /\/(packages\/[^/]+|benchmarks)\//.exec(url);
  return m ? m[1] : undefined;
}

export function summariseProfiles(dir: string): {
  byOwner: Map<string, number>;
  top: Array<[string, number]>;
  /** Functions by total time: samples with the function anywhere on the stack. */
  topTotal: Array<[string, number]>;
  totalMs: number;
} {
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const totalByFunction = new Map<string, number>();
  let totalMs = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"))) {
    const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as CpuProfile;
    const parent = new Map<number, number>();
    const byId = new Map<number, ProfileNode>();
    for (const node of profile.nodes) {
      byId.set(node.id, node);
      for (const child of node.children ?? []) parent.set(child, node.id);
    }
    const ownerCache = new Map<number, string>();
    const ownerOf = (id: number): string => {
      const cached = ownerCache.get(id);
      if (cached) return cached;
      const node = byId.get(id)!;
      const name = node.callFrame.functionName;
      let owner: string;
      if (name === "(idle)" || name === "(garbage collector)" || name === "(program)") owner = name;
      else {
        let at: number | undefined = id;
        let found: string | undefined;
        while (at !== undefined && found === undefined) {
          found = packageOf(byId.get(at)!.callFrame.url);
          at = parent.get(at);
        }
        owner = found ?? "(node internals / libraries, no workspace frame)";
      }
      ownerCache.set(id, owner);
      return owner;
    };
    profile.samples.forEach((id, i) => {
      const ms = (profile.timeDeltas[i] ?? 0) / 1000;
      const node = byId.get(id)!;
      const owner = ownerOf(id);
      byOwner.set(owner, (byOwner.get(owner) ?? 0) + ms);
      if (owner !== "(idle)") {
        totalMs += ms;
        byFunction.set(keyOf(node), (byFunction.get(keyOf(node)) ?? 0) + ms);
        const seen = new Set<string>();
        for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
          const key = keyOf(byId.get(at)!);
          if (seen.has(key)) continue;
          seen.add(key);
          totalByFunction.set(key, (totalByFunction.get(key) ?? 0) + ms);
        }
      }
    });
  }
  const top = [...byFunction.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15);
  const topTotal = [...totalByFunction.entries()]
    .filter(([key]) => !key.startsWith("(root)") && !/ node:internal\//.test(key))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25);
  return { byOwner, top, topTotal, totalMs };
}

function keyOf(node: ProfileNode): string {
  const url = node.callFrame.url.replace(/^.*\/(packages|node_modules)\//, "$1/");
  return `${node.callFrame.functionName || "(anonymous)"} ${url}:${node.callFrame.lineNumber + 1}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2];
  if (!dir) throw new TypeError("usage: profile-summary.ts <dir>");
  const { byOwner, top, topTotal, totalMs } = summariseProfiles(dir);
  process.stdout.write(`busy CPU time (all threads): ${(totalMs / 1000).toFixed(1)} s\n`);
  for (const [owner, ms] of [...byOwner.entries()].sort((a, b) => b[1] - a[1])) {
    if (owner === "(idle)") continue;
    process.stdout.write(
      `  ${((ms / totalMs) * 100).toFixed(1).padStart(5)}%  ${(ms / 1000).toFixed(1).padStart(6)} s  ${owner}\n`,
    );
  }
  process.stdout.write("top functions by self time:\n");
  for (const [name, ms] of top)
    process.stdout.write(`  ${((ms / totalMs) * 100).toFixed(1).padStart(5)}%  ${name}\n`);
  process.stdout.write("top functions by total time (self and callees; node internals left out):\n");
  for (const [name, ms] of topTotal)
    process.stdout.write(`  ${((ms / totalMs) * 100).toFixed(1).padStart(5)}%  ${name}\n`);
}
