// Backup progress for people: one overall line (mailboxes done of total, items, bytes, rate,
// ETA) and one line per active mailbox, as many as fit the terminal, redrawn in place on a TTY
// with log-update (it handles wrapping, cursor hiding and clearing; lines that must stay, like
// a finished mailbox's summary, go above the live region through its persist()). Without a
// TTY, the overall line is printed every `intervalMs`. Always stderr: stdout is for results,
// and --json never gets here (its events are the progress).
import type { BackupEvent, MailboxProgress } from "@ewsvault/core";
import { createLogUpdate } from "log-update";
import { bar, formatBytes, shown, terminalLine } from "./output.js";

export type ProgressMode = "tty" | "plain" | "none";

export interface BackupProgressView {
  onEvent(event: BackupEvent): void;
  /** A line that stays (above the live lines on a TTY). */
  log(text: string): void;
  /** Stops redrawing and clears the live lines. */
  finish(): void;
}

export interface BackupProgressOptions {
  readonly mailboxes: number;
  readonly mode: ProgressMode;
  readonly stream?: NodeJS.WriteStream;
  /** Plain mode: seconds between lines; default 10. */
  readonly intervalMs?: number;
  readonly now?: () => number;
  /** Mode "none": where log() lines go (e.g. Output.info, which --quiet and --json silence). */
  readonly quietLog?: (text: string) => void;
}

interface OverallState {
  readonly mailboxes: number;
  readonly done: number;
  readonly active: ReadonlyMap<string, MailboxProgress>;
  readonly finishedItems: number;
  readonly finishedBytes: number;
  readonly startedAt: number;
}

/** How often the TTY view is redrawn at most: fast enough to look live, cheap on a slow terminal. */
const REDRAW_MS = 150;

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** The overall line: "3/10 mailboxes, 1234/5678 items, 120.5 MiB read, 4.2 MiB/s, ETA 3m12s". */
export function formatOverall(state: OverallState, now: number): string {
  let itemsDone = state.finishedItems;
  let itemsTotal = state.finishedItems;
  let bytes = state.finishedBytes;
  for (const p of state.active.values()) {
    itemsDone += p.itemsDone;
    itemsTotal += Math.max(p.itemsTotal, p.itemsDone);
    bytes += p.bytesRead;
  }
  const seconds = Math.max(0.001, (now - state.startedAt) / 1000);
  const itemRate = itemsDone / seconds;
  const parts = [
    `${state.done}/${state.mailboxes} mailboxes`,
    `${itemsDone}/${itemsTotal} items`,
    `${formatBytes(bytes)} read`,
    `${formatBytes(bytes / seconds)}/s`,
  ];
  // Known work only: mailboxes not yet started add to it as they are reached.
  const waiting = state.mailboxes - state.done - state.active.size;
  if (itemRate > 0 && itemsTotal > itemsDone)
    parts.push(`ETA ${formatDuration((itemsTotal - itemsDone) / itemRate)}${waiting > 0 ? "+" : ""}`);
  return parts.join(", ");
}

export function formatMailbox(p: MailboxProgress, width: number): string {
  const text = `  ${shown(p.mailbox)} ${bar(p.foldersDone, p.foldersTotal, 10)} ${p.itemsDone}/${p.itemsTotal} items ${formatBytes(p.bytesRead)}${
    p.etaSeconds === undefined ? "" : ` eta ${formatDuration(p.etaSeconds)}`
  }${p.errors > 0 ? ` ${p.errors} failed` : ""}`;
  return text.length < width ? text : `${text.slice(0, Math.max(0, width - 2))}…`;
}

/** The live lines: overall first, then active mailboxes that fit `rows` (the rest summarised). */
export function renderLines(state: OverallState, now: number, columns: number, rows: number): string[] {
  const width = Math.max(20, columns - 1);
  const overall = formatOverall(state, now);
  const lines = [overall.length < width ? overall : `${overall.slice(0, width - 1)}…`];
  const room = Math.max(0, rows - 2);
  const active = [...state.active.values()];
  const shown = active.length <= room ? active : active.slice(0, Math.max(0, room - 1));
  for (const p of shown) lines.push(formatMailbox(p, width));
  if (shown.length < active.length) lines.push(`  … and ${active.length - shown.length} more mailboxes`);
  return lines;
}

export function createBackupProgress(options: BackupProgressOptions): BackupProgressView {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const active = new Map<string, MailboxProgress>();
  const state = {
    mailboxes: options.mailboxes,
    done: 0,
    active,
    finishedItems: 0,
    finishedBytes: 0,
    startedAt: now(),
  };
  if (options.mode === "none") {
    return { onEvent: () => {}, log: options.quietLog ?? (() => {}), finish: () => {} };
  }
  const update = (event: BackupEvent) => {
    if (event.type === "progress") active.set(event.progress.mailbox, event.progress);
    else if (event.type === "mailbox-done") {
      const last = active.get(event.report.mailbox);
      active.delete(event.report.mailbox);
      state.done++;
      state.finishedItems += event.report.itemsExported || last?.itemsDone || 0;
      state.finishedBytes += event.report.bytesRead || last?.bytesRead || 0;
    }
  };
  if (options.mode === "plain") {
    // Nothing to report until some work is done: a run still connecting (an unreachable server
    // is retried for about ten seconds) prints no "0 items" lines, so a failure before any work
    // stays the one error line.
    const worked = () =>
      state.done > 0 || [...active.values()].some((p) => p.itemsDone > 0 || p.bytesRead > 0);
    const timer = setInterval(() => {
      if (worked()) stream.write(`progress: ${formatOverall(state, now())}\n`);
    }, options.intervalMs ?? 10_000);
    timer.unref();
    return {
      onEvent: update,
      log: (text) => stream.write(`${terminalLine(text)}\n`),
      finish: () => clearInterval(timer),
    };
  }
  const live = createLogUpdate(stream, { defaultWidth: 100, defaultHeight: 24 });
  let dirty = false;
  const draw = () => {
    if (!dirty) return;
    dirty = false;
    live(renderLines(state, now(), stream.columns ?? 100, stream.rows ?? 24).join("\n"));
  };
  const timer = setInterval(draw, REDRAW_MS);
  timer.unref();
  return {
    onEvent(event) {
      update(event);
      dirty = true;
    },
    log(text) {
      live.persist(terminalLine(text));
      dirty = true;
    },
    finish() {
      clearInterval(timer);
      live.clear();
      live.done();
    },
  };
}

/** TTY redraw when stderr is a terminal, periodic plain lines otherwise, nothing with --quiet/--json. */
export function progressMode(options: { json?: boolean; quiet?: boolean }): ProgressMode {
  if (options.json || options.quiet) return "none";
  return process.stderr.isTTY === true ? "tty" : "plain";
}
