/** The training forward pass with hand-written gradients equals the tfjs layers model and its autodiff. */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/policy/models/backend.js';
import { GaussianMlpPolicy } from '../../src/policy/models/gaussian-policy.js';
import { actorMean, criticValue } from '../../src/policy/ppo/mlp.js';
import { loadScenario } from '../../src/sim/scenario-file.js';

const sc = loadScenario('scenarios/navigate-obstacles.yaml');
const made: GaussianMlpPolicy[] = [];
beforeAll(async () => {
  await initBackend();
});
afterAll(() => made.forEach((p) => p.dispose()));

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('actorMean / criticValue', () => {
  for (const activation of ['tanh', 'relu'] as const) {
    it(`equal meanTensor/valueTensor and their gradients (${activation})`, () => {
      const p = new GaussianMlpPolicy(`t-${activation}`, sc.contract, {
        hidden: [48, 24],
        activation,
        critic: true,
        initLogStd: -0.5,
      });
      made.push(p);
      const params = [...p.actorVariables(), ...p.criticVariables()];
      const obs = tf.randomNormal([70, p.obsSize], 0, 2, 'float32', 5) as tf.Tensor2D;
      const reference = () =>
        tf.add(tf.sum(tf.square(p.meanTensor(obs))), tf.sum(tf.sin(p.valueTensor(obs)))) as tf.Scalar;
      const fast = () => tf.add(tf.sum(tf.square(actorMean(p, obs))), tf.sum(tf.sin(criticValue(p, obs)))) as tf.Scalar;
      expect(
        maxAbsDiff(tf.tidy(() => actorMean(p, obs)).dataSync(), tf.tidy(() => p.meanTensor(obs)).dataSync()),
      ).toBeLessThan(1e-5);
      expect(
        maxAbsDiff(tf.tidy(() => criticValue(p, obs)).dataSync(), tf.tidy(() => p.valueTensor(obs)).dataSync()),
      ).toBeLessThan(1e-4);
      const want = tf.variableGrads(reference, params);
      const got = tf.variableGrads(fast, params);
      for (const v of params) {
        const w = want.grads[v.name].dataSync();
        const g = got.grads[v.name].dataSync();
        const scale = Math.max(1e-3, ...Array.from(w, Math.abs));
        expect(maxAbsDiff(g, w) / scale, v.name).toBeLessThan(1e-4);
      }
      tf.dispose([obs, want.value, got.value, ...Object.values(want.grads), ...Object.values(got.grads)]);
    });
  }
});
