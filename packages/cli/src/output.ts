// Output modes: human text (with a progress line on a TTY) or, with --json, newline-delimited
// JSON events on stdout. Human chatter goes to stderr so stdout stays machine-readable.
//
// Every line goes through terminal-text.ts here, in one place: control, bidi and zero-width
// characters from mailbox data are shown as visible escapes in text mode and as JSON escapes
// with --json (the data stays exact). Call sites wrap each untrusted value in `shown()` so a
// newline inside a subject or folder name is escaped too instead of starting a fake line.
import { escapeTerminalText, terminalSafeJson } from "./terminal-text.js";

/** An untrusted value (subject, folder name, mailbox, server message) made safe for one line of text. */
export function shown(value: unknown): string {
  return escapeTerminalText(String(value ?? ""));
}

/** A finished text line (or lines) made safe for the terminal; "\n" stays a line break. */
export function terminalLine(text: string): string {
  return escapeTerminalText(text, { keepNewlines: true });
}

/** One JSON line as printed with --json. */
export function jsonLine(value: unknown): string {
  return `${terminalSafeJson(value)}\n`;
}

export interface Output {
  readonly json: boolean;
  /** A result or event: printed as one JSON line with --json, else by `human`. */
  event(type: string, data: Record<string, unknown>, human?: () => string | undefined): void;
  /** Human-only information, to stderr. */
  info(text: string): void;
  /** A transient progress line (TTY and not --json only). */
  progress(text: string): void;
  /** Ends any progress line. */
  done(): void;
}

export function createOutput(options: { json: boolean; quiet?: boolean }): Output {
  const tty = process.stderr.isTTY === true && !options.json && !options.quiet;
  let progressShown = false;
  let lastProgress = 0;
  const clear = () => {
    if (progressShown) {
      process.stderr.write("\r\u001b[2K");
      progressShown = false;
    }
  };
  return {
    json: options.json,
    event(type, data, human) {
      if (options.json) {
        process.stdout.write(jsonLine({ type, ...data }));
        return;
      }
      const text = human?.();
      if (text !== undefined) {
        clear();
        process.stdout.write(`${terminalLine(text)}\n`);
      }
    },
    info(text) {
      if (options.json || options.quiet) return;
      clear();
      process.stderr.write(`${terminalLine(text)}\n`);
    },
    progress(text) {
      if (!tty) return;
      const now = Date.now();
      if (now - lastProgress < 100) return;
      lastProgress = now;
      const width = process.stderr.columns ?? 100;
      process.stderr.write(`\r\u001b[2K${escapeTerminalText(text).slice(0, width - 1)}`);
      progressShown = true;
    },
    done: clear,
  };
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function bar(done: number, total: number, width = 20): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(ratio * width);
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${Math.round(ratio * 100)}%`;
}
