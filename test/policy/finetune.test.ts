/** Fine-tuning: frozen layers stay put, normaliser-only touches only the normaliser, before/after metrics are recorded. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../../src/collect/collect.js';
import { loadScenario } from '../../src/sim/scenario-file.js';
import { initBackend } from '../../src/policy/models/backend.js';
import { fitNormalizer, loadDataset, type Dataset } from '../../src/policy/data/dataset.js';
import { trainBC } from '../../src/policy/bc/bc.js';
import { finetune } from '../../src/policy/finetune/finetune.js';
import { saveCheckpoint } from '../../src/policy/checkpoints/checkpoint.js';
import type { GaussianMlpPolicy } from '../../src/policy/models/gaussian-policy.js';
import { sim2real } from '../cli/helpers.js';

const SCENARIO = 'scenarios/grasp-cube.yaml';
const sc = loadScenario(SCENARIO);
const dir = mkdtempSync(join(tmpdir(), 'sim2real-finetune-'));
let sim: Dataset;
let target: Dataset;
let pre: GaussianMlpPolicy;

const weights = (p: GaussianMlpPolicy) =>
  p.actor.layers.map((l) => l.getWeights().map((w) => Array.from(w.dataSync())));

beforeAll(async () => {
  await initBackend();
  // "Sim": nominal demonstrations. "Target": the randomized world (other friction, masses, sensor bias...).
  await collect({ scenario: sc, episodes: 8, out: join(dir, 'sim'), workers: 2, sceneEvery: 50 });
  await collect({
    scenario: sc,
    episodes: 8,
    out: join(dir, 'target'),
    workers: 2,
    randomize: true,
    expertNoise: 0.1,
    seed: 100,
    sceneEvery: 50,
  });
  sim = await loadDataset(join(dir, 'sim'), { valFraction: 0.25, contract: sc.contract });
  target = await loadDataset(join(dir, 'target'), { valFraction: 0.25, contract: sc.contract });
  pre = (await trainBC({ data: sim, contract: sc.contract, hidden: [32, 32], epochs: 3, batchSize: 32, patience: 0 }))
    .policy;
  await saveCheckpoint(join(dir, 'pre', 'policy'), pre, {
    scenario: sc as never,
    training: { algo: 'bc', bc: { lr: 1e-3 } },
    metrics: null,
  });
});
afterAll(() => {
  pre.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('finetune', () => {
  it('bc with the first layer frozen: that layer is unchanged, the others move; the input policy is untouched', async () => {
    const original = weights(pre);
    const res = await finetune({
      policy: pre,
      target,
      freeze: 1,
      pretrainLr: 1e-3,
      simData: sim.train,
      simFraction: 0.3,
      refitNormalizer: true,
      epochs: 3,
      batchSize: 32,
      patience: 0,
    });
    expect(res.lr).toBeCloseTo(1e-4, 12);
    expect(res.bc!.coSamples).toBe(sim.train.n);
    const after = weights(res.policy);
    expect(after[0]).toEqual(original[0]);
    expect(after[1]).not.toEqual(original[1]);
    expect(after[2]).not.toEqual(original[2]);
    expect(weights(pre)).toEqual(original);
    expect(res.policy.id).toBe(`${pre.id}-ft-bc`);
    // The normaliser was re-estimated on the target observations.
    expect(Array.from(res.policy.normalizer.mean)).toEqual(Array.from(fitNormalizer(target.train, sc.contract).mean));
    expect(res.before.targetValLoss).toBeGreaterThan(0);
    expect(res.after.targetValLoss).toBeGreaterThan(0);
    res.policy.dispose();
  });

  it('normalizer-only changes the normaliser and nothing else', async () => {
    const res = await finetune({ policy: pre, target, mode: 'normalizer-only' });
    expect(weights(res.policy)).toEqual(weights(pre));
    expect(res.policy.logStdValues).toEqual(pre.logStdValues);
    expect(Array.from(res.policy.normalizer.mean)).not.toEqual(Array.from(pre.normalizer.mean));
    expect(res.policy.normalizer.count).toBe(target.train.n + target.val.n);
    expect(res.bc).toBeNull();
    res.policy.dispose();
  });

  it('the CLI records target loss and success before and after in metrics.jsonl and policy.json', async () => {
    const out = join(dir, 'ft');
    const r = await sim2real([
      'finetune',
      '--policy',
      join(dir, 'pre'),
      '--data',
      join(dir, 'target'),
      '--out',
      out,
      '--freeze',
      '1',
      '--sim-data',
      join(dir, 'sim'),
      '--epochs',
      '2',
      '--batch-size',
      '32',
      '--eval-scenario',
      SCENARIO,
      '--eval-episodes',
      '2',
      '--workers',
      '1',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows[0].phase).toBe('before');
    expect(rows.at(-1).phase).toBe('after');
    expect(rows.filter((x) => x.phase === 'train').map((x) => x.epoch)).toEqual([1, 2]);
    for (const row of [rows[0], rows.at(-1)]) {
      expect(typeof row.targetValLoss).toBe('number');
      expect(typeof row.successRate).toBe('number');
    }
    const file = JSON.parse(readFileSync(join(out, 'policy', 'policy.json'), 'utf8'));
    expect(file.metrics.before.targetValLoss).toBeCloseTo(rows[0].targetValLoss, 10);
    expect(file.metrics.after.evaluation.episodes).toBe(2);
    expect(file.metrics.lr).toBeCloseTo(1e-4, 12);
    expect(file.training.freeze).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.after.targetValLoss).toBeCloseTo(rows.at(-1).targetValLoss, 10);
  });

  it('a run refused for a bad --freeze or --eval-reality leaves its directory free for the corrected command', async () => {
    const out = join(dir, 'ft-retry');
    const bad = await sim2real([
      'finetune',
      '--policy',
      join(dir, 'pre'),
      '--data',
      join(dir, 'target'),
      '--out',
      out,
      '--freeze',
      '9',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^sim2real: error: --freeze: expected an integer in \[0, 2\] .*got 9$/);
    expect(existsSync(join(out, 'config.json'))).toBe(false);
    const wrongReality = await sim2real([
      'finetune',
      '--policy',
      join(dir, 'pre'),
      '--data',
      join(dir, 'target'),
      '--out',
      out,
      '--eval-scenario',
      SCENARIO,
      '--eval-reality',
      'scenarios/reality/navigate-obstacles.yaml',
    ]);
    expect(wrongReality.code).toBe(2);
    expect(wrongReality.stderr.trim()).toMatch(
      /^sim2real: error: scenarios\/reality\/navigate-obstacles\.yaml:scenario: expected "grasp-cube"/,
    );
    expect(existsSync(join(out, 'config.json'))).toBe(false);
    const good = await sim2real([
      'finetune',
      '--policy',
      join(dir, 'pre'),
      '--data',
      join(dir, 'target'),
      '--out',
      out,
      '--freeze',
      '1',
      '--epochs',
      '1',
      '--json',
    ]);
    expect(good.stderr).toBe('');
    expect(good.code).toBe(0);
    expect(existsSync(join(out, 'policy', 'policy.json'))).toBe(true);
  });
});
