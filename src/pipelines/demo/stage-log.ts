/**
 * The demo's record of finished stages (RUN/demo-stages.json, rewritten atomically after each
 * stage), so `demo --resume` skips what a killed run already did and redoes only the rest.
 * Results are plain data (counts and evaluation reports), so they read back as they were written.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../errors.js';

export interface StageRecord {
  stage: string;
  seconds: number;
  artefact: string;
}

interface StageLogFile {
  /** The demo's config: a resumed run keeps it. */
  config: unknown;
  done: Record<string, { record: StageRecord; result: unknown }>;
}

export const STAGE_LOG = 'demo-stages.json';

export class StageLog {
  private constructor(
    private readonly path: string,
    private readonly file: StageLogFile,
  ) {}

  /** A new log for a fresh run, or the one a killed run left (resume). */
  static open(out: string, config: unknown, resume: boolean): StageLog {
    const path = join(out, STAGE_LOG);
    if (!resume || !existsSync(path)) return new StageLog(path, { config, done: {} });
    let file: StageLogFile;
    try {
      file = JSON.parse(readFileSync(path, 'utf8')) as StageLogFile;
    } catch (e) {
      throw new InputError(`${path}: expected the demo's stage log (JSON), got ${(e as Error).message.split('\n')[0]}`);
    }
    if (typeof file !== 'object' || file === null || typeof file.done !== 'object' || file.done === null) throw new InputError(`${path}: expected the demo's stage log, got no "done" stages`);
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
    const tmp = `${this.path}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(this.file, null, 1));
    renameSync(tmp, this.path);
  }
}
