/** PPO training checkpoints: the restored policy and Adam state continue exactly where the saved ones were. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/policy/models/backend.js';
import { GaussianMlpPolicy } from '../../src/policy/models/gaussian-policy.js';
import { loadTrainingCheckpoint, saveTrainingCheckpoint } from '../../src/policy/ppo/state.js';
import { AnnealedAdam } from '../../src/policy/ppo/support.js';
import { InputError } from '../../src/errors.js';
import { loadScenario } from '../../src/sim/scenario-file.js';

const sc = loadScenario('scenarios/navigate-obstacles.yaml');
const root = mkdtempSync(join(tmpdir(), 'sim2real-ppo-state-'));
beforeAll(async () => {
  await initBackend();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function params(p: GaussianMlpPolicy): tf.Variable[] {
  return [...p.actorVariables(), p.logStd, ...p.criticVariables()];
}

/** One Adam step on a fixed loss of the policy's outputs. */
function step(p: GaussianMlpPolicy, opt: tf.Optimizer, obs: tf.Tensor2D): void {
  const vars = params(p);
  const { value, grads } = tf.variableGrads(
    () =>
      tf.add(
        tf.sum(tf.square(tf.sub(p.meanTensor(obs), 0.3))),
        tf.add(tf.sum(tf.square(p.valueTensor(obs))), tf.sum(p.logStd)),
      ) as tf.Scalar,
    vars,
  );
  opt.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name] })));
  tf.dispose([value, ...Object.values(grads)]);
}

const snapshot = (p: GaussianMlpPolicy) => params(p).map((v) => Array.from(v.dataSync()));

describe('saveTrainingCheckpoint / loadTrainingCheckpoint', () => {
  it('restores policy, normaliser, Adam moments and step count: the next step is identical', async () => {
    const p = new GaussianMlpPolicy('ppo-state', sc.contract, {
      hidden: [16, 16],
      activation: 'tanh',
      critic: true,
      initLogStd: -0.5,
    });
    p.normalizer.update(
      Float32Array.from({ length: 10 * p.obsSize }, (_, i) => Math.sin(i)),
      10,
    );
    const obs = tf.randomNormal([32, p.obsSize], 0, 1, 'float32', 3) as tf.Tensor2D;
    const opt = new AnnealedAdam(1e-2, 0.9, 0.999, 1e-5);
    for (let i = 0; i < 3; i++) step(p, opt, obs);
    const dir = join(root, 'checkpoints', 'latest');
    await saveTrainingCheckpoint(
      dir,
      p,
      opt,
      { update: 3, envSteps: 3000, wallSeconds: 1.5, config: { a: 1 } },
      { scenario: null, training: null, metrics: null },
    );

    const loaded = await loadTrainingCheckpoint(dir);
    expect(loaded.state).toMatchObject({ update: 3, envSteps: 3000, wallSeconds: 1.5, config: { a: 1 } });
    expect(loaded.policy.normalizer.toJSON()).toEqual(p.normalizer.toJSON());
    expect(snapshot(loaded.policy)).toEqual(snapshot(p));
    const opt2 = new AnnealedAdam(1e-2, 0.9, 0.999, 1e-5);
    await opt2.setWeights(loaded.optimizerWeights);

    step(p, opt, obs);
    step(loaded.policy, opt2, obs);
    const a = snapshot(p);
    const b = snapshot(loaded.policy);
    for (let i = 0; i < a.length; i++) for (let j = 0; j < a[i].length; j++) expect(b[i][j]).toBeCloseTo(a[i][j], 6);
    // A fresh Adam (no moments, step 1) would have moved differently.
    const fresh = await loadTrainingCheckpoint(dir);
    step(fresh.policy, new AnnealedAdam(1e-2, 0.9, 0.999, 1e-5), obs);
    expect(snapshot(fresh.policy)).not.toEqual(a);
    tf.dispose(obs);
    for (const q of [p, loaded.policy, fresh.policy]) q.dispose();
  });

  it('says what is missing when there is nothing to resume', async () => {
    await expect(loadTrainingCheckpoint(join(root, 'nothing', 'latest'))).rejects.toThrow(InputError);
    await expect(loadTrainingCheckpoint(join(root, 'nothing', 'latest'))).rejects.toThrow(
      /expected a PPO training checkpoint/,
    );
  });
});
