#!/usr/bin/env node
// Runs a command under a supported Node.js, fetching one from the npm registry's `node` package
// when the machine's own is too old (or when a test matrix asks for particular release lines).
// This file must itself run on old Node (it is started by the machine's node): plain ESM, no
// dependencies, nothing newer than Node 18.
//
//   node scripts/on-node.mjs -- CMD ARGS...          CMD on this Node if supported, else on the newest LTS
//   node scripts/on-node.mjs --each 22,26 -- CMD...   CMD once on each release line, in order; stops at
//                                                     the first failure
//
// CMD runs with the chosen Node first on PATH, so `tsx`, `vitest` and anything that starts
// `node` from PATH run on it too. Exit code: CMD's (the first failing one with --each).
import { execFileSync, spawnSync } from "node:child_process";
import { delimiter, dirname } from "node:path";

/** Release lines we support; `engines` in every package.json says the same. */
const SUPPORTED = [22, 24, 26];
const NEWEST = SUPPORTED[SUPPORTED.length - 1];
const OLDEST_MINOR = { 22: 15 }; // 22.15 is the first 22.x whose zlib has zstd (the repository default)

function usage(message) {
  process.stderr.write(
    `on-node: ${message}\nusage: node scripts/on-node.mjs [--each 22,26] -- CMD [ARGS...]\n`,
  );
  process.exit(2);
}

function isSupported(version) {
  const [major, minor] = version.replace(/^v/, "").split(".").map(Number);
  return SUPPORTED.includes(major) && minor >= (OLDEST_MINOR[major] ?? 0);
}

/** The path of a `node` binary of release line `major`: this one when it matches, else from npm. */
function nodeBinary(major) {
  if (Number(process.versions.node.split(".")[0]) === major && isSupported(process.version)) {
    return process.execPath;
  }
  // npx keeps the package in its cache (~/.npm/_npx), so only the first run downloads it.
  // Under `pnpm run`, pnpm puts its own settings in npm_config_* variables; npm would warn about
  // each one it does not know, so npx gets an environment without them.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith("npm_config_")),
  );
  const printed = execFileSync(
    "npx",
    ["--yes", "-p", `node@${major}`, "-c", 'node -p "process.version + \\" \\" + process.execPath"'],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], env },
  ).trim();
  const [version, path] = printed.split(" ");
  if (!version?.startsWith(`v${major}.`) || !path) {
    throw new Error(`npm's node@${major} package gave ${printed || "nothing"}`);
  }
  return path;
}

function run(binary, command) {
  const env = { ...process.env, PATH: `${dirname(binary)}${delimiter}${process.env.PATH ?? ""}` };
  const version = execFileSync(binary, ["--version"], { encoding: "utf8" }).trim();
  process.stderr.write(`on-node: ${command.join(" ")} on Node.js ${version}\n`);
  const result = spawnSync(command[0], command.slice(1), { stdio: "inherit", env });
  if (result.error) throw result.error;
  return result.status ?? 1; // null: killed by a signal
}

const args = process.argv.slice(2);
const dashes = args.indexOf("--");
if (dashes < 0 || dashes === args.length - 1) usage("no command after --");
const command = args.slice(dashes + 1);
const options = args.slice(0, dashes);
let lines;
if (options.length === 0) {
  lines = isSupported(process.version) ? [Number(process.versions.node.split(".")[0])] : [NEWEST];
} else if (options[0] === "--each" && options.length === 2) {
  lines = options[1].split(",").map(Number);
  const unknown = lines.filter((line) => !SUPPORTED.includes(line));
  if (unknown.length > 0) usage(`not a supported release line: ${unknown.join(", ")}`);
} else {
  usage(`unknown option ${options[0]}`);
}

for (const line of lines) {
  const status = run(nodeBinary(line), command);
  if (status !== 0) process.exit(status);
}
