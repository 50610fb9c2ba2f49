/** BC datasets: labels prefer the clean expertAction, the split is by episode and seeded, incomplete episodes are left out. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EpisodeWriter } from '../../src/episodes/writer.js';
import { loadDataset, splitEpisodes, stepLabel } from '../../src/policy/data/dataset.js';
import { CONTRACT, fakeSnapshot, lengthOf, startFor, stepFor } from '../episodes/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'sim2real-bc-dataset-'));
const EPISODES = 10;

beforeAll(async () => {
  // Fixture episodes: odd ones carry expertAction (DART-style), even ones only the action sent;
  // the file ends with a started-but-unfinished episode (writer stopped mid-episode).
  const w = await EpisodeWriter.open(join(dir, 'demos.mcap'));
  for (let i = 0; i <= EPISODES; i++) {
    w.startEpisode(startFor(i), fakeSnapshot(i));
    for (let t = 0; t < lengthOf(i); t++) w.writeStep({ ...stepFor(i, t), obs: new Float32Array(6).fill(i) });
    if (i < EPISODES) await w.endEpisode({ success: true });
  }
  await w.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadDataset', () => {
  it('labels with expertAction when present, else the action sent', async () => {
    const ds = await loadDataset(dir, { valFraction: 0 });
    expect(ds.incompleteEpisodes).toBe(1);
    expect(ds.trainEpisodes).toBe(EPISODES);
    let expert = 0;
    let action = 0;
    for (let i = 0; i < EPISODES; i++) i % 2 === 1 ? (expert += lengthOf(i)) : (action += lengthOf(i));
    expect(ds.labels).toEqual({ expert, action });
    // Row by row: the obs value is the episode index (set above), so each row's label is checkable.
    for (let r = 0; r < ds.train.n; r++) {
      const ep = ds.train.obs[r * 6];
      const y = Array.from(ds.train.act.subarray(r * 2, r * 2 + 2));
      if (ep % 2 === 1) expect(y).toEqual([Math.fround(0.123456789), Math.fround(-1 / 3)]);
      else expect(y[1]).toBeCloseTo(-0.3 + 0.01 * ep, 6);
    }
    expect(stepLabel({ ...stepFor(1, 0), expertAction: new Float32Array([1, 2]) } as never)).toEqual(
      new Float32Array([1, 2]),
    );
  });

  it('splits by episode, seeded: no episode on both sides, same seed same split', async () => {
    const a = await loadDataset(dir, { valFraction: 0.3, seed: 7 });
    const b = await loadDataset(dir, { valFraction: 0.3, seed: 7 });
    const c = await loadDataset(dir, { valFraction: 0.3, seed: 8 });
    expect(a.valEpisodes).toBe(3);
    expect(a.trainEpisodes).toBe(7);
    const episodesOf = (obs: Float32Array) => new Set(Array.from({ length: obs.length / 6 }, (_, r) => obs[r * 6]));
    const train = episodesOf(a.train.obs);
    const val = episodesOf(a.val.obs);
    expect(train.size + val.size).toBe(EPISODES);
    for (const e of val) expect(train.has(e)).toBe(false);
    expect(b.val.obs).toEqual(a.val.obs);
    expect([...episodesOf(c.val.obs)].sort()).not.toEqual([...val].sort());
    expect(a.train.n + a.val.n).toBe(
      Array.from({ length: EPISODES }, (_, i) => lengthOf(i)).reduce((s, n) => s + n, 0),
    );
  });

  it('refuses episodes recorded under another contract, naming the component', async () => {
    const other = { ...CONTRACT, obs: [{ ...CONTRACT.obs[0], unit: 'cm' }, CONTRACT.obs[1]] };
    await expect(loadDataset(dir, { contract: other, contractOf: 'x.yaml' })).rejects.toThrow(
      /does not match x\.yaml: obs\.pos: expected unit "cm", got "m"/,
    );
  });

  it('splitEpisodes keeps at least one validation episode and one training episode', () => {
    expect(splitEpisodes([1, 2], 0.01, 0).val).toHaveLength(1);
    expect(splitEpisodes([1, 2], 0.9, 0).train).toHaveLength(1);
    expect(splitEpisodes([1, 2, 3], 0, 0).val).toHaveLength(0);
  });
});
