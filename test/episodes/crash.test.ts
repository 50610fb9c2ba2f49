import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readEpisodeFile } from '../../src/episodes/reader.js';
import { summarizeEpisodes } from '../../src/episodes/summary.js';
import { expectedStep, fakeSnapshot, lengthOf, startFor, successOf } from './fixtures.js';

const child = fileURLToPath(new URL('./crash-writer.ts', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sim2real-crash-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a writer killed with SIGKILL mid-run', () => {
  it('leaves every completed episode readable and intact, and the unfinished one counted as incomplete', async () => {
    const path = join(dir, 'killed.mcap');
    const proc = spawn(process.execPath, ['--import', 'tsx', child, path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      proc.on('exit', (code, signal) => resolve(signal ?? code)),
    );
    const completed: number[] = [];
    await new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: proc.stdout });
      lines.on('line', (line) => {
        const [what, n] = line.split(' ');
        if (what === 'complete') completed.push(Number(n));
        // Kill while an episode is half written (and flushed), once at least two are complete.
        if (what === 'partial' && completed.length >= 2) {
          proc.kill('SIGKILL');
          resolve();
        }
      });
      proc.on('exit', () => reject(new Error(`writer exited before being killed: ${stderr}`)));
    });
    expect(await exited).toBe('SIGKILL');

    const f = await readEpisodeFile(path);
    expect(f.indexed).toBe(false);
    expect(f.tail).toMatch(/no footer/);
    const complete = f.episodes.filter((e) => e.end);
    expect(complete.map((e) => e.start.index)).toEqual(completed);
    for (const ep of complete) {
      const index = ep.start.index;
      const { index: _i, ...meta } = startFor(index);
      expect(ep.start).toMatchObject(meta);
      expect(ep.end).toMatchObject({ index, success: successOf(index), length: lengthOf(index) });
      expect(ep.steps).toEqual(Array.from({ length: lengthOf(index) }, (_, t) => expectedStep(index, t)));
      expect(ep.snapshot).toEqual(fakeSnapshot(index));
    }
    expect(f.incompleteEpisodes).toBe(1);
    const partial = f.episodes.find((e) => !e.end)!;
    expect(partial.start.index).toBe(completed.length);
    expect(partial.steps.length).toBeGreaterThan(0);

    const s = summarizeEpisodes(f.episodes);
    expect(s.episodes).toBe(completed.length);
    expect(s.incompleteEpisodes).toBe(1);
  });
});

describe('what a writer killed before its first record leaves', () => {
  it('an empty file and a header-only file read as 0 episodes, so a directory holding them stays readable; other content is still refused', async () => {
    const { writeFile } = await import('node:fs/promises');
    const { readEpisodes } = await import('../../src/episodes/reader.js');
    const d = join(dir, 'leftovers');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(d);
    await writeFile(join(d, 'empty.mcap'), new Uint8Array(0));
    await writeFile(join(d, 'header-only.mcap'), Buffer.from('\x89MCAP0\r\n', 'latin1'));
    const r = await readEpisodes(d);
    expect(r.files.map((f) => [f.path.slice(d.length + 1), f.episodes.length, f.tail])).toEqual([
      ['empty.mcap', 0, 'an empty file (its writer stopped before writing anything)'],
      ['header-only.mcap', 0, 'no footer (the writer did not close the file)'],
    ]);
    await writeFile(join(d, 'junk.mcap'), 'not mcap');
    await expect(readEpisodes(d)).rejects.toThrow(/junk\.mcap: expected an MCAP file .* got other content/);
  });
});
