// Output modes: human text (with a progress line on a TTY) or, with --json, newline-delimited
// JSON events on stdout. Human chatter goes to stderr so stdout stays machine-readable.

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
        process.stdout.write(`${JSON.stringify({ type, ...data })}\n`);
        return;
      }
      const text = human?.();
      if (text !== undefined) {
        clear();
        process.stdout.write(`${text}\n`);
      }
    },
    info(text) {
      if (options.json || options.quiet) return;
      clear();
      process.stderr.write(`${text}\n`);
    },
    progress(text) {
      if (!tty) return;
      const now = Date.now();
      if (now - lastProgress < 100) return;
      lastProgress = now;
      const width = process.stderr.columns ?? 100;
      process.stderr.write(`\r\u001b[2K${text.slice(0, width - 1)}`);
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
