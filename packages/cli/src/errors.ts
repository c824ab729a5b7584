// How the CLI turns any failure into one line on stderr and a documented exit code. Codes come
// from the error (EwsVaultError, DestinationError); secrets never reach the message because
// the libraries below keep them out of their errors.
import { escapeTerminalText } from "./terminal-text.js";

export const ExitCode = {
  ok: 0,
  /** The command failed (the message says why, with a stable code). */
  failure: 1,
  /** The command line itself is wrong. */
  usage: 2,
  /** Finished, but not everything: some mailboxes failed or some items were skipped. */
  partial: 3,
  /** verify found damage. */
  damaged: 4,
  /** Another process holds a lock this command needs. */
  locked: 5,
  /** No repository at the location (REPO_NOT_FOUND); restic's code. */
  noRepository: 10,
  /** No key slot opens with the password (CRYPTO_WRONG_PASSWORD); restic's code. */
  wrongPassword: 12,
  /** Stopped by Ctrl-C (SIGINT) after making finished work durable; 128 + SIGINT, as shells and restic use. */
  interrupted: 130,
} as const;

export class CliError extends Error {
  override readonly name = "CliError";
  readonly code: string;
  readonly exitCode: number;

  constructor(code: string, message: string, exitCode: number = ExitCode.failure) {
    super(message);
    this.code = code;
    this.exitCode = exitCode;
  }
}

export function errorCode(error: unknown): string {
  if (error && typeof error === "object" && "code" in error && typeof error.code === "string")
    return error.code;
  if (error instanceof TypeError) return "INVALID_ARGUMENT";
  return "INTERNAL";
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  const code = errorCode(error);
  if (code === "REPO_LOCKED" || code === "REPO_MAILBOX_LOCKED") return ExitCode.locked;
  if (code === "REPO_NOT_FOUND") return ExitCode.noRepository;
  if (code === "SNAPSHOT_GROUP_AMBIGUOUS") return ExitCode.usage;
  if (code === "CRYPTO_WRONG_PASSWORD") return ExitCode.wrongPassword;
  if (code === "ABORTED") return ExitCode.interrupted;
  if (code === "INVALID_ARGUMENT" || code.startsWith("commander.")) return ExitCode.usage;
  return ExitCode.failure;
}

/** "error CODE: message" — one line, whatever the error; names it quotes are shown escaped. */
export function formatError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return escapeTerminalText(`error ${errorCode(error)}: ${message.split("\n")[0]}`);
}
