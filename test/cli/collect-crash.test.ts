/** kill -9 of `collect` mid-run: every episode completed before the kill stays readable. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { McapIndexedReader } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import { open } from 'node:fs/promises';
import { spawnSim2real } from './helpers.js';
import { readEpisodes } from '../../src/episodes/reader.js';
import { listEpisodeFiles } from '../../src/episodes/files.js';

const dir = mkdtempSync(join(tmpdir(), 'sim2real-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function completed(): Promise<number> {
  try {
    const { episodes } = await readEpisodes(dir);
    return episodes.filter((e) => e.end).length;
  } catch {
    return 0;
  }
}

describe('collect killed with SIGKILL', () => {
  it('leaves every completed episode readable', async () => {
    const child = spawnSim2real([
      'collect',
      'scenarios/navigate-obstacles.yaml',
      '--episodes',
      '500',
      '--workers',
      '2',
      '--out',
      dir,
    ]);
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    let before = 0;
    const t0 = Date.now();
    while ((before = await completed()) < 3) {
      if (Date.now() - t0 > 300_000) throw new Error('collect produced no episodes in 300 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    child.kill('SIGKILL');
    await exited;
    expect(child.signalCode).toBe('SIGKILL');

    const { files, episodes } = await readEpisodes(dir);
    const done = episodes.filter((e) => e.end);
    expect(done.length).toBeGreaterThanOrEqual(before);
    expect(done.length).toBeLessThan(500);
    for (const e of done) {
      expect(e.steps.length).toBe(e.end!.length);
      expect(e.snapshot.length).toBeGreaterThan(0);
      expect(e.steps.every((s, t) => s.step === t)).toBe(true);
    }
    // The killed files have no summary: the indexed reader refuses them and we fell back to streaming.
    expect(files.every((f) => !f.indexed)).toBe(true);
    for (const f of await listEpisodeFiles(dir)) {
      const h = await open(f, 'r');
      await expect(McapIndexedReader.Initialize({ readable: new FileHandleReadable(h) })).rejects.toThrow();
      await h.close();
    }
  });
});
