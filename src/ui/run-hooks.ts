/**
 * How a long-running library job (src/pipelines) talks to whoever runs it: progress displays and
 * one-line notes. The library is silent unless given hooks; the CLI passes `terminalHooks`, so
 * every long job shows a bar on a TTY and plain lines otherwise.
 */
import { startProgress, type Progress } from './progress.js';

export interface RunHooks {
  /** Start a progress display of `total` units. Default: none. */
  progress?: (label: string, total: number, unit: string) => Progress;
  /** One line for a human (notes and warnings; the CLI writes them to stderr). Default: none. */
  note?: (line: string) => void;
}

const SILENT_PROGRESS: Progress = { tick: () => {}, stop: () => {} };

/** The hooks with their silent defaults filled in. */
export function withDefaults(hooks: RunHooks = {}): Required<RunHooks> {
  return {
    progress: hooks.progress ?? (() => SILENT_PROGRESS),
    note: hooks.note ?? (() => {}),
  };
}

/** Bars and notes on stderr; `quiet` (e.g. --json) keeps notes and drops bars. */
export function terminalHooks(quiet: boolean): Required<RunHooks> {
  return {
    progress: (label, total, unit) => startProgress(label, total, { unit, quiet }),
    note: (line) => process.stderr.write(`${line}\n`),
  };
}
