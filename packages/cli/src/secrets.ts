// Where passwords come from: an environment variable, a file, or a prompt on a TTY — never a
// command-line argument (it would be visible to every user in the process list).
import { readFile } from "node:fs/promises";
import { CliError, ExitCode } from "./errors.js";

export async function promptHidden(question: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY)
    throw new CliError("PASSWORD_REQUIRED", `${question} needed but no TTY to ask on`, ExitCode.usage);
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = "";
    input.setRawMode(true);
    input.resume();
    input.setEncoding("utf8");
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === "\r" || char === "\n" || char === "\u0004") {
          input.setRawMode(false);
          input.pause();
          input.off("data", onData);
          process.stderr.write("\n");
          resolve(value);
          return;
        }
        if (char === "\u0003") {
          input.setRawMode(false);
          input.off("data", onData);
          reject(new CliError("CANCELLED", "cancelled", ExitCode.failure));
          return;
        }
        if (char === "\u007f" || char === "\b") value = value.slice(0, -1);
        else value += char;
      }
    };
    input.on("data", onData);
  });
}

export interface PasswordSource {
  readonly envName: string;
  readonly file?: string;
  readonly prompt: string;
}

export async function readPassword(source: PasswordSource): Promise<string> {
  if (source.file !== undefined) {
    const text = await readFile(source.file, "utf8").catch((cause) => {
      throw new CliError(
        "PASSWORD_FILE_UNREADABLE",
        `cannot read password file ${source.file}: ${cause.code ?? cause}`,
      );
    });
    const password = text.replace(/\r?\n$/, "");
    if (password === "")
      throw new CliError("PASSWORD_EMPTY", `password file ${source.file} is empty`, ExitCode.usage);
    return password;
  }
  const fromEnv = process.env[source.envName];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  return promptHidden(source.prompt);
}
