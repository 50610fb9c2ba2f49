/** Fine-tuning on episodes recorded on the emulated robot: the recipe defaults (normaliser kept unless asked) and the CLI. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/sim/scenario-file.js';
import { loadReality } from '../../src/sim/reality.js';
import { collect } from '../../src/collect/collect.js';
import { recordRealDemos } from '../../src/collect/real-demos.js';
import { initBackend } from '../../src/policy/models/backend.js';
import { fitNormalizer, loadDataset, type Dataset } from '../../src/policy/data/dataset.js';
import { trainBC } from '../../src/policy/bc/bc.js';
import { finetune, FINETUNE_DEFAULTS } from '../../src/policy/finetune/finetune.js';
import { saveCheckpoint } from '../../src/policy/checkpoints/checkpoint.js';
import { loadPolicyDir } from '../../src/policy/checkpoints/policy-dir.js';
import type { GaussianMlpPolicy } from '../../src/policy/models/gaussian-policy.js';
import { sim2real } from '../cli/helpers.js';

const sc = loadScenario('scenarios/grasp-cube.yaml');
const dir = mkdtempSync(join(tmpdir(), 'sim2real-transfer-ft-'));
const realDir = join(dir, 'real');
let pre: GaussianMlpPolicy;
let target: Dataset;

beforeAll(async () => {
  await initBackend();
  await collect({ scenario: sc, episodes: 4, out: join(dir, 'sim'), workers: 2, expertNoise: 0.1, sceneEvery: 0 });
  const sim = await loadDataset(join(dir, 'sim'), { valFraction: 0.25, contract: sc.contract });
  pre = (await trainBC({ data: sim, contract: sc.contract, hidden: [16, 16], epochs: 2, patience: 0 })).policy;
  await saveCheckpoint(join(dir, 'pre', 'policy'), pre, {
    scenario: sc as never,
    training: { algo: 'bc', bc: { lr: 1e-3 } },
    metrics: null,
  });
  await recordRealDemos({
    scenario: sc,
    reality: loadReality('scenarios/reality/grasp-cube.yaml'),
    episodes: 4,
    out: realDir,
    sceneEvery: 0,
  });
  // The split the CLI makes by default (--val-fraction 0.2 --seed 0).
  target = await loadDataset(realDir, { valFraction: 0.2, seed: 0, contract: sc.contract });
});
afterAll(() => {
  pre.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const mean = (p: GaussianMlpPolicy) => Array.from(p.normalizer.mean);

describe('fine-tuning on real episodes', () => {
  it('keeps the pretrained normaliser by default and re-estimates it on request', async () => {
    expect(FINETUNE_DEFAULTS.refitNormalizer).toBe(false);
    expect(target.labels).toEqual({ expert: target.train.n + target.val.n, action: 0 });
    const kept = await finetune({ policy: pre, target, epochs: 2, patience: 0 });
    expect(mean(kept.policy)).toEqual(mean(pre));
    expect(kept.bc!.epochs).toBe(2);
    kept.policy.dispose();
    const refit = await finetune({ policy: pre, target, epochs: 2, patience: 0, refitNormalizer: true });
    expect(mean(refit.policy)).toEqual(Array.from(fitNormalizer(target.train, sc.contract).mean));
    expect(mean(refit.policy)).not.toEqual(mean(pre));
    refit.policy.dispose();
  });

  it('sim2real finetune learns from the recorded real episodes; --refit-normalizer is recorded and applied', async () => {
    for (const refit of [false, true]) {
      const out = join(dir, `ft-${refit}`);
      const r = await sim2real([
        'finetune',
        '--policy',
        join(dir, 'pre'),
        '--data',
        realDir,
        '--out',
        out,
        '--epochs',
        '2',
        '--json',
        ...(refit ? ['--refit-normalizer'] : []),
      ]);
      expect(r.code, r.stderr).toBe(0);
      const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
      expect(config.refitNormalizer).toBe(refit);
      expect(config.target.labels.expert).toBe(target.train.n + target.val.n);
      const { policy } = await loadPolicyDir(out);
      expect(mean(policy)).toEqual(refit ? Array.from(fitNormalizer(target.train, sc.contract).mean) : mean(pre));
      policy.dispose();
    }
  });
});
