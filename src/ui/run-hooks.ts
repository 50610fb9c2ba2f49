/**
 * How a long-running library job (src/pipelines) talks to whoever runs it: progress displays and
 * one-line notes. The library is silent unless given hooks; the CLI passes `terminalHooks`, so
 * every long job shows a bar on a TTY and plain lines otherwise.
 */
import { startProgress, type Progress } from './progress.js';

export interface RunHooks {
  /** Start a progress display of `total` units. Default: none. */
  progress?: (label: string, total: number, unit: string) => Progress;
  /** One informative line for a human (the CLI writes it to stderr, and drops it with --json). Default: none. */
  note?: (line: string) => void;
  /** One line about something the caller should know even when quiet (skipped data, estimates). Default: none. */
  warn?: (line: string) => void;
}

const SILENT_PROGRESS: Progress = { tick: () => {}, stop: () => {} };

/** The hooks with their silent defaults filled in. */
export function withDefaults(hooks: RunHooks = {}): Required<RunHooks> {
  return {
    progress: hooks.progress ?? (() => SILENT_PROGRESS),
    note: hooks.note ?? (() => {}),
    warn: hooks.warn ?? (() => {}),
  };
}

/** Bars, notes and warnings on stderr; `quiet` (e.g. --json) keeps only the warnings. */
export function terminalHooks(quiet: boolean): Required<RunHooks> {
  const line = (text: string) => void process.stderr.write(`${text}\n`);
  return {
    progress: (label, total, unit) => startProgress(label, total, { unit, quiet }),
    note: quiet ? () => {} : line,
    warn: line,
  };
}
