// Where passwords come from: an environment variable, a file, or a prompt on a TTY — never a
// command-line argument (it would be visible to every user in the process list).
import { spawn } from "node:child_process";
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
  /** The plain variable (EWSVAULT_PASSWORD); `<envName>_FILE` and `<envName>_COMMAND` are read too. */
  readonly envName: string;
  /** From --...-password-file (or the config file). */
  readonly file?: string;
  /** From --...-password-command (or the config file). */
  readonly command?: string;
  readonly prompt: string;
}

/** Longest a password command may run: it may ask a secrets manager, but must not hang a backup. */
const PASSWORD_COMMAND_TIMEOUT_MS = 60_000;

/**
 * Where a password comes from, first match wins (restic's order): a file or command given as an
 * option, else `<ENV>_FILE` / `<ENV>_COMMAND`, else `<ENV>`, else a prompt on a TTY. A file and a
 * command at the same level are a usage error rather than a silent choice.
 */
export async function readPassword(source: PasswordSource): Promise<string> {
  const fromOptions = pickOne(source.file, source.command, "a password file and a password command");
  if (fromOptions !== undefined) return readFrom(fromOptions);
  const env = (suffix: string) => {
    const value = process.env[`${source.envName}${suffix}`];
    return value === undefined || value === "" ? undefined : value;
  };
  const fromEnv = pickOne(
    env("_FILE"),
    env("_COMMAND"),
    `${source.envName}_FILE and ${source.envName}_COMMAND`,
  );
  if (fromEnv !== undefined) return readFrom(fromEnv);
  const plain = env("");
  if (plain !== undefined) return plain;
  return promptHidden(source.prompt);
}

type Origin = { kind: "file" | "command"; value: string };

function pickOne(file: string | undefined, command: string | undefined, what: string): Origin | undefined {
  if (file !== undefined && command !== undefined)
    throw new CliError("INVALID_ARGUMENT", `give ${what}, not both`, ExitCode.usage);
  if (file !== undefined) return { kind: "file", value: file };
  if (command !== undefined) return { kind: "command", value: command };
  return undefined;
}

async function readFrom(origin: Origin): Promise<string> {
  if (origin.kind === "command") return runPasswordCommand(origin.value);
  const text = await readFile(origin.value, "utf8").catch((cause) => {
    throw new CliError(
      "PASSWORD_FILE_UNREADABLE",
      `cannot read password file ${origin.value}: ${cause.code ?? cause}`,
    );
  });
  const password = text.replace(/\r?\n$/, "");
  if (password === "")
    throw new CliError("PASSWORD_EMPTY", `password file ${origin.value} is empty`, ExitCode.usage);
  return password;
}

/**
 * Runs a password command through the shell (so it may use pipes, like restic's and borg's) and
 * returns its standard output without the final newline. Its stderr goes to ours (a secrets
 * manager may ask there); the password itself never reaches a log or an error message.
 */
export async function runPasswordCommand(command: string): Promise<string> {
  const { stdout, code, signal } = await new Promise<{
    stdout: string;
    code: number | null;
    signal: NodeJS.Signals | null;
  }>((resolve, reject) => {
    const child = spawn(command, {
      shell: true,
      stdio: ["inherit", "pipe", "inherit"],
      timeout: PASSWORD_COMMAND_TIMEOUT_MS,
    });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.once("error", (cause) =>
      reject(new CliError("PASSWORD_COMMAND_FAILED", `password command could not start: ${cause.message}`)),
    );
    child.once("close", (exitCode, exitSignal) =>
      resolve({ stdout: Buffer.concat(chunks).toString("utf8"), code: exitCode, signal: exitSignal }),
    );
  });
  if (code !== 0)
    throw new CliError(
      "PASSWORD_COMMAND_FAILED",
      `password command failed (${signal === null ? `exit ${code}` : signal === "SIGTERM" ? "timed out" : signal})`,
    );
  const password = stdout.replace(/\r?\n$/, "");
  if (password === "")
    throw new CliError("PASSWORD_EMPTY", "password command printed nothing", ExitCode.usage);
  return password;
}
