/** Behaviour cloning on real expert demonstrations (Rapier), real tfjs (wasm), real checkpoint files. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../../src/collect/collect.js';
import { loadScenario } from '../../src/sim/scenario-file.js';
import { initBackend } from '../../src/policy/models/backend.js';
import { loadDataset, type Dataset } from '../../src/policy/data/dataset.js';
import { bcLoss, trainBC } from '../../src/policy/bc/bc.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/policy/checkpoints/checkpoint.js';
import { GaussianMlpPolicy } from '../../src/policy/models/gaussian-policy.js';
import { Rng } from '../../src/sim/rng.js';

const dir = mkdtempSync(join(tmpdir(), 'sim2real-bc-'));
const sc = loadScenario('scenarios/grasp-cube.yaml');
let data: Dataset;

beforeAll(async () => {
  await initBackend();
  await collect({ scenario: sc, episodes: 16, out: join(dir, 'demos'), workers: 2, expertNoise: 0.1, sceneEvery: 50 });
  data = await loadDataset(join(dir, 'demos'), { valFraction: 0.25, seed: 1, contract: sc.contract });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('trainBC', () => {
  it('beats an untrained and a random policy on held-out episodes, and its checkpoint acts identically', async () => {
    expect(data.valEpisodes).toBe(4);
    expect(data.labels.expert).toBe(data.train.n + data.val.n); // DART: every step carries the clean label
    const untrained = new GaussianMlpPolicy('untrained', sc.contract, {
      hidden: [64, 64],
      activation: 'relu',
      critic: false,
      initLogStd: -1,
    });
    const before = bcLoss(untrained, data.val);
    // A uniformly random policy's MSE against the same labels.
    const rng = new Rng(3);
    let randomLoss = 0;
    for (const y of data.val.act) randomLoss += (rng.uniform(-1, 1) - y) ** 2;
    randomLoss /= data.val.act.length;

    const seen: number[] = [];
    const { policy, metrics } = await trainBC({
      data,
      contract: sc.contract,
      hidden: [64, 64],
      epochs: 6,
      batchSize: 32,
      lr: 3e-3,
      patience: 0,
      onProgress: (p) => void seen.push(p.epoch),
    });
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(metrics.bestValLoss).toBeCloseTo(bcLoss(policy, data.val), 5); // the best weights are the ones returned
    expect(metrics.bestValLoss).toBeLessThan(0.5 * before);
    expect(metrics.bestValLoss).toBeLessThan(0.2 * randomLoss);
    expect(metrics.logStd.every((s) => s >= Math.log(0.05) - 1e-9 && s <= 0)).toBe(true);
    untrained.dispose();

    const ck = join(dir, 'ck');
    await saveCheckpoint(ck, policy, {
      scenario: sc as never,
      training: { algo: 'bc' },
      metrics: { bestValLoss: metrics.bestValLoss },
    });
    const { policy: loaded } = await loadCheckpoint(ck, { contract: sc.contract, what: 'grasp-cube' });
    for (let r = 0; r < data.val.n; r += 7) {
      const obs = data.val.obs.slice(r * policy.obsSize, (r + 1) * policy.obsSize);
      expect(loaded.act(obs)).toEqual(policy.act(obs));
    }
    expect(loaded.actBatch(data.val.obs, data.val.n)).toEqual(policy.actBatch(data.val.obs, data.val.n));
    expect(loaded.logStdValues).toEqual(policy.logStdValues);
    loaded.dispose();
    policy.dispose();
  });

  it('resumes from its checkpoint where it stopped', async () => {
    const checkpoint = { dir: join(dir, 'resume'), scenario: null, training: { algo: 'bc' } };
    const opts = { data, contract: sc.contract, hidden: [32], patience: 0 };
    const first = await trainBC({ ...opts, epochs: 2, checkpoint });
    first.policy.dispose();
    const epochs: number[] = [];
    const second = await trainBC({
      ...opts,
      epochs: 4,
      checkpoint: { ...checkpoint, resume: true },
      onProgress: (p) => void epochs.push(p.epoch),
    });
    expect(second.metrics.resumedFrom).toBe(2);
    expect(epochs).toEqual([3, 4]);
    expect(second.metrics.trainLoss).toHaveLength(4);
    second.policy.dispose();
  });
});
