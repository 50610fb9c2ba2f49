/** PPO end to end on navigate-obstacles with real Rapier worlds, worker threads and tfjs: it learns, it is seeded, `init` behaves. */
import type * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/policy/models/backend.js';
import { GaussianMlpPolicy } from '../../src/policy/models/gaussian-policy.js';
import { trainPpo } from '../../src/policy/ppo/ppo.js';
import { loadRapier, type Rapier } from '../../src/sim/rapier.js';
import { loadScenario } from '../../src/sim/scenario-file.js';
import { makeEnv } from '../../src/sim/make-env.js';
import { Rng } from '../../src/sim/rng.js';
import type { TaskEnv } from '../../src/sim/task-env.js';

const base = loadScenario('scenarios/navigate-obstacles.yaml');
// 20 s episodes instead of 40 s: more finished episodes per env step in a small budget.
const sc = { ...base, episode: { ...base.episode, max_steps: 200 } };
let R: Rapier;
const made: GaussianMlpPolicy[] = [];

beforeAll(async () => {
  await initBackend();
  R = await loadRapier();
});
afterAll(() => made.forEach((p) => p.dispose()));

/** Mean return over `episodes` fixed-seed episodes of `act` (seeds far from the training envs'). */
function meanReturn(act: (obs: Float32Array) => Float32Array, episodes = 40): number {
  const env = makeEnv(R, sc);
  (env.unwrapped as TaskEnv).onWarn = () => {};
  let total = 0;
  for (let e = 0; e < episodes; e++) {
    let { obs } = env.reset({ seed: 9000 + e });
    for (;;) {
      const r = env.step(act(obs));
      total += r.reward;
      obs = r.obs;
      if (r.terminated || r.truncated) break;
    }
  }
  env.close();
  return total / episodes;
}

function weightsOf(model: tf.LayersModel): number[][] {
  return model.getWeights().map((w) => Array.from(w.dataSync()));
}

describe('trainPpo', () => {
  it('learns: after ~25k env steps its sampled actions earn more than random and than the untrained policy', async () => {
    const uniform = new Rng(3);
    const random = meanReturn(() => Float32Array.from([uniform.uniform(-1, 1), uniform.uniform(-1, 1)]));
    const untrained = new GaussianMlpPolicy('untrained', sc.contract, {
      hidden: [64, 64],
      activation: 'tanh',
      critic: true,
      initLogStd: -0.5,
    });
    made.push(untrained);
    let noise = new Rng(4);
    const before = meanReturn((o) => untrained.act(o, { deterministic: false, rng: noise }));

    const { policy, metrics } = await trainPpo({
      scenario: sc,
      envSteps: 24_576,
      numEnvs: 8,
      rolloutSteps: 32,
      epochs: 4,
      minibatches: 2,
      learningRate: 1e-3,
      seed: 2,
    });
    made.push(policy);
    noise = new Rng(4);
    const after = meanReturn((o) => policy.act(o, { deterministic: false, rng: noise }));

    // Measured: random ≈ −5.0, untrained ≈ −4.0, trained −2.0 … +1.0 over training seeds 0–3.
    expect(metrics).toHaveLength(96);
    expect(metrics[95].envSteps).toBe(24_576);
    expect(after).toBeGreaterThan(random + 1);
    expect(after).toBeGreaterThan(before + 1);
  });

  it('is reproducible: the same seed gives the same metrics and weights', async () => {
    const run = () =>
      trainPpo({
        scenario: sc,
        envSteps: 256,
        numEnvs: 4,
        rolloutSteps: 32,
        epochs: 2,
        minibatches: 2,
        seed: 7,
        randomize: true,
      });
    const a = await run();
    const b = await run();
    made.push(a.policy, b.policy);
    const strip = (ms: typeof a.metrics) =>
      ms.map(({ wallSeconds: _w, sps: _s, rolloutSeconds: _r, optimizeSeconds: _o, ...m }) => m);
    expect(strip(a.metrics)).toEqual(strip(b.metrics));
    expect(weightsOf(a.policy.actor)).toEqual(weightsOf(b.policy.actor));
    expect(weightsOf(a.policy.critic!)).toEqual(weightsOf(b.policy.critic!));
  });

  it('starts from an init policy without a critic: fresh critic, its normaliser and frozen layers kept, the init left alone', async () => {
    const init = new GaussianMlpPolicy('bc-like', sc.contract, {
      hidden: [32, 32],
      activation: 'relu',
      critic: false,
      initLogStd: -1,
    });
    made.push(init);
    const rng = new Rng(5);
    init.normalizer.update(
      Float32Array.from({ length: 50 * init.obsSize }, () => rng.normal(1, 2)),
      50,
    );
    const initWeights = weightsOf(init.actor);
    const initNormalizer = init.normalizer.toJSON();

    // One update of critic warm-up, then one that trains the actor too.
    const { policy } = await trainPpo({
      scenario: sc,
      init,
      frozenLayers: 1,
      criticWarmup: 1,
      envSteps: 256,
      numEnvs: 4,
      rolloutSteps: 32,
      epochs: 2,
      minibatches: 2,
      learningRate: 1e-3,
    });
    made.push(policy);
    expect(policy.critic).not.toBeNull();
    expect(policy.arch).toMatchObject({ hidden: [32, 32], activation: 'relu' });
    const w = weightsOf(policy.actor);
    expect(w.slice(0, 2)).toEqual(initWeights.slice(0, 2)); // layer 0 kernel and bias: frozen
    expect(w[2]).not.toEqual(initWeights[2]); // layer 1 kernel: trained
    expect(policy.normalizer.toJSON()).toEqual(initNormalizer);
    expect(policy.logStdValues.every((s) => Math.abs(s + 1) < 0.05)).toBe(true);
    expect(weightsOf(init.actor)).toEqual(initWeights);
    expect(init.critic).toBeNull();

    // By default an init without a critic gets 30 warm-up updates (and the fine-tuning defaults):
    // the actor and σ stay put, the critic learns.
    const warm = await trainPpo({ scenario: sc, init, envSteps: 256, numEnvs: 4, rolloutSteps: 32 });
    made.push(warm.policy);
    expect(warm.config).toMatchObject({
      criticWarmup: 30,
      updateNormalizer: false,
      learningRate: 5e-5,
      targetKl: 0.01,
      epochs: 5,
      minibatches: 4,
    });
    expect(weightsOf(warm.policy.actor)).toEqual(initWeights);
    expect(warm.policy.logStdValues).toEqual(init.logStdValues);
    expect(warm.metrics.map((m) => m.valueLoss)).toEqual([expect.any(Number), expect.any(Number)]);
  });

  it('refuses to freeze every actor layer', async () => {
    const init = new GaussianMlpPolicy('bc-small', sc.contract, {
      hidden: [8],
      activation: 'relu',
      critic: false,
      initLogStd: -1,
    });
    made.push(init);
    await expect(
      trainPpo({ scenario: sc, init, frozenLayers: 2, envSteps: 64, numEnvs: 2, rolloutSteps: 32 }),
    ).rejects.toThrow(/frozenLayers: expected at most 1/);
  });
});
