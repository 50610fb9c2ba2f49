/**
 * PPO speed, each figure against the raw thing measured in the same run:
 * - rollout inference for N observations: one batched tfjs forward pass (what src/policy/ppo/rollout.ts does)
 *   vs N calls of the Float32 fast path (`policy.mean`);
 * - one optimisation step (forward + backward of actor and critic, PPO loss) on a minibatch:
 *   the hand-written-gradient pass of src/policy/ppo/mlp.ts vs tfjs autodiff through the layers models;
 * - the kernels behind it on the wasm backend: transposed vs plain matMul, tanh vs 2σ(2x) − 1;
 * - a rollout step (policy + sampling + env) vs the vector env stepped with random actions.
 * Run: `npm run build && node dist/bench/ppo.js [--seconds s] [--json]` (or register benchPpo in bench/main.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../src/policy/models/backend.js';
import { GaussianMlpPolicy } from '../src/policy/models/gaussian-policy.js';
import { actorMean, criticValue } from '../src/policy/ppo/mlp.js';
import { clippedSurrogateLoss, normalizeAdvantages, tanhGaussianLogProb, valueLoss } from '../src/policy/ppo/losses.js';
import { actorMeans, allocateRollout, collectRollout, EpisodeTracker } from '../src/policy/ppo/rollout.js';
import { loadScenario } from '../src/sim/scenario-file.js';
import { Rng } from '../src/sim/rng.js';
import { VectorEnv } from '../src/sim/vector-env.js';
import { printTable } from './table.js';

const SCENARIO = 'scenarios/navigate-obstacles.yaml';

/** Mean ms per call of `f` over about `seconds` (after a warm-up). */
function timeMs(f: () => void, seconds: number): number {
  for (let i = 0; i < 5; i++) f();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < seconds * 1000) {
    f();
    n++;
  }
  return (performance.now() - t0) / n;
}

export interface PpoBenchRow {
  what: string;
  oursMs: number;
  rawMs: number;
  /** raw / ours: above 1, ours is faster. */
  speedup: number;
}

export async function benchPpo(opts: { seconds?: number; json?: boolean } = {}): Promise<PpoBenchRow[]> {
  const seconds = opts.seconds ?? 1;
  const backend = await initBackend();
  const sc = loadScenario(SCENARIO);
  const rows: PpoBenchRow[] = [];
  const add = (what: string, oursMs: number, rawMs: number) =>
    rows.push({ what, oursMs, rawMs, speedup: rawMs / oursMs });
  const rng = new Rng(0);

  for (const hidden of [
    [64, 64],
    [256, 256],
  ]) {
    const p = new GaussianMlpPolicy('bench', sc.contract, {
      hidden,
      activation: 'tanh',
      critic: true,
      initLogStd: -0.5,
    });
    for (const n of [16, 64]) {
      const obs = Float32Array.from({ length: n * p.obsSize }, () => rng.normal());
      add(
        `inference ${n} obs, ${hidden.join('x')}: tfjs batch vs fast path per row`,
        timeMs(() => actorMeans(p, obs, n), seconds),
        timeMs(() => {
          for (let k = 0; k < n; k++) p.mean(obs.subarray(k * p.obsSize, (k + 1) * p.obsSize));
        }, seconds),
      );
    }
    const params = [...p.actorVariables(), p.logStd, ...p.criticVariables()];
    for (const B of [256, 2048]) {
      const t = tf.tidy(() => ({
        obs: tf.randomNormal([B, p.obsSize], 0, 1, 'float32', 1) as tf.Tensor2D,
        u: tf.randomNormal([B, p.actSize], 0, 1, 'float32', 2) as tf.Tensor2D,
        lp: tf.randomNormal([B], 0, 1, 'float32', 3) as tf.Tensor1D,
        adv: tf.randomNormal([B], 0, 1, 'float32', 4) as tf.Tensor1D,
        ret: tf.randomNormal([B], 0, 1, 'float32', 5) as tf.Tensor1D,
      }));
      const step = (mean: (x: tf.Tensor2D) => tf.Tensor2D, value: (x: tf.Tensor2D) => tf.Tensor1D) => () => {
        const { value: loss, grads } = tf.variableGrads(() => {
          const logRatio = tf.sub(tanhGaussianLogProb(t.u, mean(t.obs), p.logStd as tf.Tensor1D), t.lp) as tf.Tensor1D;
          const pg = clippedSurrogateLoss(logRatio, normalizeAdvantages(t.adv), 0.2);
          return tf.add(pg, tf.mul(0.5, valueLoss(value(t.obs), t.ret, t.ret, 0.2))) as tf.Scalar;
        }, params);
        tf.dispose([loss, ...Object.values(grads)]);
      };
      add(
        `gradient step, minibatch ${B}, ${hidden.join('x')}: ppo-mlp vs tfjs autodiff`,
        timeMs(
          step(
            (x) => actorMean(p, x),
            (x) => criticValue(p, x),
          ),
          seconds,
        ),
        timeMs(
          step(
            (x) => p.meanTensor(x),
            (x) => p.valueTensor(x),
          ),
          seconds,
        ),
      );
      tf.dispose(Object.values(t));
    }
    p.dispose();
  }

  const x = tf.randomNormal([2048, 64]);
  const dy = tf.randomNormal([2048, 64]);
  add(
    'xᵀ·dy [2048×64]: transpose then matMul vs matMul(transposeA)',
    timeMs(() => tf.tidy(() => tf.matMul(tf.transpose(x), dy)).dispose(), seconds),
    timeMs(() => tf.matMul(x, dy, true, false).dispose(), seconds),
  );
  add(
    'tanh [2048×64]: 2σ(2x) − 1 vs tf.tanh',
    timeMs(() => tf.tidy(() => tf.sub(tf.mul(2, tf.sigmoid(tf.mul(2, x))), 1)).dispose(), seconds),
    timeMs(() => tf.tanh(x).dispose(), seconds),
  );
  tf.dispose([x, dy]);

  // Rollout collection vs the bare vector env (16 envs, 2 workers, 64 steps per measurement).
  const N = 16;
  const T = 64;
  const venv = await VectorEnv.create({ scenario: sc, numEnvs: N, workers: 2 });
  const policy = new GaussianMlpPolicy('bench', sc.contract, {
    hidden: [64, 64],
    activation: 'tanh',
    critic: true,
    initLogStd: -0.5,
  });
  try {
    let obs: Float32Array = (await venv.reset()).slice();
    const buf = allocateRollout(T, N, venv.obsSize, venv.actSize);
    const actions = new Float32Array(N * venv.actSize);
    const measure = async (f: () => Promise<void>) => {
      await f();
      const t0 = performance.now();
      let n = 0;
      while (performance.now() - t0 < seconds * 1000) {
        await f();
        n++;
      }
      return (performance.now() - t0) / n / T;
    };
    const ours = await measure(async () => {
      obs = await collectRollout(venv, policy, obs, buf, rng, new EpisodeTracker(N));
    });
    // The same action distribution as the untrained policy (tanh of N(0, 0.6²)), so that the envs
    // collide and reset as often on both sides: the difference is the policy's cost.
    const raw = await measure(async () => {
      for (let t = 0; t < T; t++) {
        for (let k = 0; k < actions.length; k++) actions[k] = Math.tanh(0.6 * rng.normal());
        await venv.step(actions);
      }
    });
    add(`rollout step of ${N} envs (ms): policy + sampling + env vs env with random actions`, ours, raw);
  } finally {
    await venv.close();
    policy.dispose();
  }

  if (opts.json) {
    console.log(JSON.stringify({ suite: 'ppo', backend: backend.name, rows }, null, 2));
  } else {
    console.log(`PPO (backend ${backend.name}; speedup = raw ms / ours ms)`);
    printTable(
      ['what', 'ours ms', 'raw ms', 'speedup'],
      rows.map((r) => [r.what, r.oursMs, r.rawMs, r.speedup]),
    );
  }
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--seconds');
  await benchPpo({ seconds: i > 0 ? Number(process.argv[i + 1]) : 1, json: process.argv.includes('--json') });
}
