#!/usr/bin/env node
// Entry point of the `ewsvault` command.
import { exitQuietlyWhenOutputCloses } from "./closed-output.js";
import { main } from "./main.js";

exitQuietlyWhenOutputCloses();

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`error INTERNAL: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
