/**
 * Flagged episodes (observations outside the contract's range, partial recordings) are left out of
 * datasets unless asked for, with one line saying how many and why.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EpisodeWriter } from '../../src/episodes/writer.js';
import { episodeFlags } from '../../src/episodes/flags.js';
import { readEpisodes } from '../../src/episodes/reader.js';
import { loadDataset, skippedFlaggedLine } from '../../src/policy/data/dataset.js';
import { startFor, stepFor } from '../episodes/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'sim2real-flagged-'));
const OUT = { steps: 2, values: 3, first: { step: 1, component: 'pos', index: 0, value: 7 } };
/** Episode kinds in file order: 6 clean, 2 with obs out of range, 1 partial, 1 both, 1 clean but incomplete. */
const KINDS = [
  'clean',
  'clean',
  'range',
  'clean',
  'partial',
  'clean',
  'both',
  'range',
  'clean',
  'clean',
  'incomplete',
] as const;

beforeAll(async () => {
  const w = await EpisodeWriter.open(join(dir, 'served.mcap'));
  for (const [i, kind] of KINDS.entries()) {
    const partial = kind === 'partial' || kind === 'both' ? { fromStep: 4 } : undefined;
    w.startEpisode({ ...startFor(i), source: 'real', partial }, new Uint8Array(0));
    for (let t = 0; t < 5; t++) w.writeStep({ ...stepFor(i, t), obs: new Float32Array(6).fill(i) });
    if (kind === 'incomplete') break;
    const obsOutOfRange = kind === 'range' || kind === 'both' ? OUT : { steps: 0, values: 0 };
    await w.endEpisode({ success: true, obsOutOfRange, partial });
  }
  await w.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('flagged episodes', () => {
  it('are recognised from their records', async () => {
    const { episodes } = await readEpisodes(dir);
    expect(episodes.map((e) => episodeFlags(e))).toEqual(
      KINDS.map((k) => ({ obsOutOfRange: k === 'range' || k === 'both', partial: k === 'partial' || k === 'both' })),
    );
    expect(episodes[2].end!.obsOutOfRange).toEqual(OUT);
  });

  it('are left out of a dataset by default, with a line saying how many and why', async () => {
    const ds = await loadDataset(dir, { valFraction: 0 });
    expect(ds.flagged).toEqual({ count: 4, of: 10, obsOutOfRange: 3, partial: 2, skipped: true });
    expect(ds.trainEpisodes).toBe(6);
    expect(ds.incompleteEpisodes).toBe(1);
    // The obs value is the episode's position in the file: only clean episodes are in.
    const used = new Set(Array.from({ length: ds.train.n }, (_, r) => ds.train.obs[r * 6]));
    expect([...used].sort((a, b) => a - b)).toEqual([0, 1, 3, 5, 8, 9]);
    expect(skippedFlaggedLine('runs/served', ds.flagged)).toBe(
      "runs/served: skipped 4 flagged episode(s) of 10 (obs outside the contract's range in 3, partial 2); --include-flagged to use them",
    );
  });

  it('are used with includeFlagged (no line)', async () => {
    const ds = await loadDataset(dir, { valFraction: 0, includeFlagged: true });
    expect(ds.trainEpisodes).toBe(10);
    expect(ds.flagged).toMatchObject({ count: 4, skipped: false });
    expect(skippedFlaggedLine(dir, ds.flagged)).toBeNull();
  });

  it('leave nothing to train on: the error says so and names the flag', async () => {
    const only = join(dir, 'only-flagged');
    const w = await EpisodeWriter.open(join(only, 'a.mcap'));
    w.startEpisode({ ...startFor(0), partial: { fromStep: 2 } }, new Uint8Array(0));
    w.writeStep(stepFor(0, 0));
    await w.endEpisode({ success: false, partial: { fromStep: 2 } });
    await w.close();
    await expect(loadDataset(only)).rejects.toThrow(
      /only-flagged: expected complete episodes \(\.mcap\), got 1 flagged ones only \(partial 1; --include-flagged to use them\)/,
    );
  });
});
