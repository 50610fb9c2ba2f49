/**
 * A multi-stage job's record of its finished stages (a JSON file in its run directory, rewritten
 * atomically after each stage), so a resumed job skips what a killed one already did and redoes only
 * the rest: `sim2real demo` (demo-stages.json) and the transfer benchmark (transfer-stages.json).
 * Results are plain data (counts and evaluation reports), so they read back as they were written.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { InputError } from '../errors.js';

export interface StageRecord {
  stage: string;
  seconds: number;
  artefact: string;
}

interface StageLogFile {
  /** The job's config: a resumed run keeps it. */
  config: unknown;
  done: Record<string, { record: StageRecord; result: unknown }>;
}

export class StageLog {
  private constructor(
    private readonly path: string,
    private readonly file: StageLogFile,
  ) {}

  /** A new log at `path` for a fresh run, or the one a killed run left there (resume). */
  static open(path: string, config: unknown, resume: boolean): StageLog {
    if (!resume || !existsSync(path)) return new StageLog(path, { config, done: {} });
    let file: StageLogFile;
    try {
      file = JSON.parse(readFileSync(path, 'utf8')) as StageLogFile;
    } catch (e) {
      throw new InputError(`${path}: expected a stage log (JSON), got ${(e as Error).message.split('\n')[0]}`);
    }
    if (typeof file !== 'object' || file === null || typeof file.done !== 'object' || file.done === null)
      throw new InputError(`${path}: expected a stage log, got no "done" stages`);
    return new StageLog(path, file);
  }

  /** The config the run started with (a resumed run's, not the one given now). */
  get config(): unknown {
    return this.file.config;
  }

  finished<T>(key: string): { record: StageRecord; result: T } | null {
    const d = this.file.done[key];
    return d ? { record: d.record, result: d.result as T } : null;
  }

  save(key: string, record: StageRecord, result: unknown): void {
    this.file.done[key] = { record, result };
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(this.file, null, 1));
    renameSync(tmp, this.path);
  }
}
