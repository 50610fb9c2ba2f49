/**
 * The MCAP files of one server run (runs on its recorder thread). Every robot session's episodes
 * go into the run's current file, interleaved. The file is created when the first episode starts,
 * so a run, or a rotation, that records nothing leaves no file behind. Once the current file has
 * grown past `maxBytes`, the next episode to start opens `<stem>-2.mcap` (then `-3`, ...): an
 * episode never spans two files, so a replaced file stays open until the episodes still running
 * in it end or are abandoned.
 *
 * Everything written is pushed to the file by `flush()` (the recorder thread calls it every
 * ~0.5 s): a server killed with `kill -9` loses at most that much of the episodes in progress,
 * which the reader then finds without their end record (incomplete).
 */
import { join } from 'node:path';
import {
  EpisodeWriter,
  type EpisodeEndInput,
  type EpisodeRecording,
  type EpisodeStartInput,
} from '../episodes/writer.js';

/** One episode in the run's files; `end` and `abandon` let its file go once nothing else runs in it. */
export type ServedEpisode = EpisodeRecording;

interface RunFile {
  path: string;
  writer: EpisodeWriter;
  /** Episodes begun in it and not yet ended or abandoned. */
  running: number;
}

export interface ServedFilesOptions {
  /** Start a new file at the next episode start once the current one is this big, bytes. */
  maxBytes: number;
  /** A file was created. */
  onFile?: (path: string) => void;
  log?: (line: string) => void;
}

export class ServedFiles {
  #current: RunFile | null = null;
  #opening: Promise<RunFile> | null = null;
  /** Files not closed yet: the current one and replaced ones with episodes still running. */
  readonly #open = new Set<RunFile>();
  readonly #closing = new Set<Promise<void>>();
  #part = 0;
  #stopped = false;

  constructor(
    private readonly dir: string,
    private readonly stem: string,
    private readonly opts: ServedFilesOptions,
  ) {}

  /** Begin an episode in the current file (creating or replacing it first if needed). */
  async begin(start: EpisodeStartInput): Promise<ServedEpisode> {
    const f = await this.#file();
    const ep = f.writer.beginEpisode(start);
    f.running++;
    let done = false;
    const release = () => {
      if (done) return;
      done = true;
      f.running--;
      if (f !== this.#current && f.running === 0) this.#close(f);
    };
    return {
      index: ep.index,
      writeStep: (step, scene) => ep.writeStep(step, scene),
      end: async (end: EpisodeEndInput) => {
        try {
          await ep.end(end);
        } finally {
          release();
        }
      },
      abandon: () => {
        ep.abandon();
        release();
      },
    };
  }

  /** Push what every open file has buffered to the OS. */
  async flush(): Promise<void> {
    await Promise.all(
      [...this.#open].map(async (f) => {
        if (f.writer.failed) return;
        try {
          await f.writer.flush();
        } catch (e) {
          this.opts.log?.(
            `recording: writing ${f.path} failed: ${(e as Error).message.split('\n')[0]}; episodes starting from now go to a new file`,
          );
        }
      }),
    );
  }

  /** Close every file (episodes still running stay incomplete); later `begin`s fail. */
  async close(): Promise<void> {
    this.#stopped = true;
    await this.#opening?.catch(() => undefined);
    this.#current = null;
    for (const f of [...this.#open]) this.#close(f);
    await Promise.all(this.#closing);
  }

  #file(): Promise<RunFile> {
    if (this.#stopped) return Promise.reject(new Error('recording stopped'));
    const cur = this.#current;
    if (cur && !cur.writer.failed && cur.writer.size < this.opts.maxBytes) return Promise.resolve(cur);
    if (cur) {
      this.#current = null;
      if (cur.running === 0) this.#close(cur);
    }
    this.#opening ??= this.#openNext().then(
      (f) => {
        this.#opening = null;
        if (this.#stopped) {
          this.#close(f);
          throw new Error('recording stopped');
        }
        this.#current = f;
        return f;
      },
      (e: unknown) => {
        this.#opening = null;
        throw e;
      },
    );
    return this.#opening;
  }

  async #openNext(): Promise<RunFile> {
    // Another run in the same directory may hold a name (started within the same millisecond): take the next.
    for (let tries = 0; ; tries++) {
      const part = ++this.#part;
      const path = join(this.dir, part === 1 ? `${this.stem}.mcap` : `${this.stem}-${part}.mcap`);
      try {
        const writer = await EpisodeWriter.open(path, { exclusive: true, sceneEvery: 0 });
        const f: RunFile = { path, writer, running: 0 };
        this.#open.add(f);
        this.opts.onFile?.(path);
        return f;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST' && tries < 100) continue;
        this.#part--;
        throw e;
      }
    }
  }

  #close(f: RunFile): void {
    if (!this.#open.delete(f)) return;
    const closing = f.writer
      .close()
      .catch((e: unknown) =>
        this.opts.log?.(`recording: closing ${f.path} failed: ${(e as Error).message.split('\n')[0]}`),
      )
      .finally(() => this.#closing.delete(closing));
    this.#closing.add(closing);
  }
}
