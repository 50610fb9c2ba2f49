/** recordRealDemos(): expert (or policy) episodes on the emulated robot, written as labelled `real` MCAP. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/sim/scenario-file.js';
import { loadReality } from '../../src/sim/reality.js';
import { initBackend } from '../../src/policy/models/backend.js';
import { GaussianMlpPolicy } from '../../src/policy/models/gaussian-policy.js';
import { loadDataset } from '../../src/policy/data/dataset.js';
import { readEpisodes } from '../../src/episodes/reader.js';
import { recordRealDemos } from '../../src/collect/real-demos.js';
import { InputError } from '../../src/errors.js';

const REALITY = 'scenarios/reality/grasp-cube.yaml';
const sc = loadScenario('scenarios/grasp-cube.yaml');
const reality = loadReality(REALITY);
const dir = mkdtempSync(join(tmpdir(), 'sim2real-real-demos-'));

beforeAll(async () => {
  await initBackend();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('recordRealDemos', () => {
  it('writes expert episodes in the reality profile, source real, with expert labels on every step', async () => {
    const seen: number[] = [];
    const out = join(dir, 'expert');
    const r = await recordRealDemos({
      scenario: sc,
      reality,
      realityFile: REALITY,
      episodes: 2,
      out,
      seed: 11,
      sceneEvery: 0,
      onEpisode: (e) => seen.push(e.seed),
    });
    expect(seen).toEqual([11, 12]);
    expect(r.mode).toBe('expert');
    expect(r.episodes).toBe(2);
    // The expert succeeds on this robot (the fine-tuning data is worth having).
    expect(r.successes).toBe(2);

    const { episodes } = await readEpisodes(out);
    expect(episodes.map((e) => e.start.seed)).toEqual([11, 12]);
    for (const e of episodes) {
      expect(e.start.source).toBe('real');
      expect(e.start.policyId).toBe('expert:grasp');
      expect(e.end?.success).toBe(true);
      // The hidden gap was in force: the profile's physics are the ones logged.
      expect(e.start.physics!.link_mass).toBeCloseTo(reality.gap.link_mass as number, 9);
      const [lo, hi] = reality.gap.friction as [number, number];
      expect(e.start.physics!.friction).toBeGreaterThanOrEqual(lo);
      expect(e.start.physics!.friction).toBeLessThanOrEqual(hi);
      expect(e.steps.length).toBe(e.end!.length);
      for (const s of e.steps) expect(s.expertAction).toEqual(s.action);
    }
    const data = await loadDataset(out, { valFraction: 0.5, contract: sc.contract });
    expect(data.labels.action).toBe(0);
    expect(data.labels.expert).toBe(r.steps);
    expect(data.train.n + data.val.n).toBe(r.steps);
  });

  it('dagger mode: the policy drives, the expert action for each visited state is the label', async () => {
    const policy = new GaussianMlpPolicy('drifter', sc.contract, {
      hidden: [8],
      activation: 'tanh',
      critic: false,
      initLogStd: -1,
    });
    try {
      const out = join(dir, 'dagger');
      const r = await recordRealDemos({
        scenario: sc,
        reality,
        episodes: 1,
        out,
        mode: 'dagger',
        policy,
        sceneEvery: 0,
      });
      expect(r.driver).toBe('drifter');
      const [e] = (await readEpisodes(out)).episodes;
      expect(e.start.policyId).toBe('drifter');
      expect(e.start.source).toBe('real');
      const s = e.steps[3];
      expect(s.action).toEqual(policy.act(s.obs, { deterministic: true }));
      expect(s.expertAction).toBeDefined();
      expect(Array.from(s.expertAction!)).not.toEqual(Array.from(s.action));
    } finally {
      policy.dispose();
    }
  });

  it('refuses to overwrite episodes and a profile of another scenario', async () => {
    const out = join(dir, 'expert');
    await expect(recordRealDemos({ scenario: sc, reality, episodes: 1, out, seed: 11 })).rejects.toThrow(
      /expected a new file/,
    );
    const nav = loadScenario('scenarios/navigate-obstacles.yaml');
    await expect(
      recordRealDemos({ scenario: nav, reality, realityFile: REALITY, episodes: 1, out: join(dir, 'nav') }),
    ).rejects.toThrow(InputError);
  });
});
