/** Helpers that keep ppo.ts readable: the starting policy, batch scoring, Adam with a settable step size. */
import * as tf from '@tensorflow/tfjs';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { contractMismatch } from '../../sim/contract.js';
import type { Scenario } from '../../sim/scenario-schema.js';
import type { Rng } from '../../sim/rng.js';
import type { RunDir } from '../../runs/run-dir.js';
import { InputError } from '../../errors.js';
import { GaussianMlpPolicy } from '../models/gaussian-policy.js';
import { actorMean, criticValue } from './mlp.js';
import { tanhGaussianLogProb } from './losses.js';
import type { RolloutBuffer } from './rollout.js';
import type { PpoConfig } from './config.js';

/** tfjs Adam whose learning rate can change between steps (annealing); state via getWeights/setWeights. */
export class AnnealedAdam extends tf.AdamOptimizer {
  setLearningRate(lr: number): void {
    this.learningRate = lr;
  }
}

/**
 * The policy PPO starts from: a fresh one, or a copy of `init` (actor, σ, normaliser; its critic
 * if it has one, else a fresh critic of the same hidden sizes). `init` itself is not modified.
 */
export function initialPolicy(
  sc: Scenario,
  config: PpoConfig,
  init: GaussianMlpPolicy | undefined,
  id: string,
  freshLogStd: number,
): GaussianMlpPolicy {
  if (!init) {
    return new GaussianMlpPolicy(id, sc.contract, {
      hidden: config.hidden,
      activation: config.activation,
      critic: true,
      initLogStd: config.initLogStd ?? freshLogStd,
    });
  }
  if (init.delayCompensation.steps > 0)
    throw new InputError(
      `init policy ${init.id}: it compensates a ${init.delayCompensation.steps}-step control-loop delay (trained on predicted observations); PPO trains on observations as measured and does not support that yet`,
    );
  const m = contractMismatch(sc.contract, init.contract);
  if (m) throw new InputError(`init policy ${init.id}: its contract does not match scenario ${sc.name}: ${m}`);
  if (config.frozenLayers > init.actor.layers.length - 1) {
    throw new InputError(
      `frozenLayers: expected at most ${init.actor.layers.length - 1} (the actor has ${init.actor.layers.length} layers and the last must train), got ${config.frozenLayers}`,
    );
  }
  const policy = new GaussianMlpPolicy(id, init.contract, { ...init.arch, critic: true });
  policy.actor.setWeights(init.actor.getWeights());
  if (init.critic) policy.critic!.setWeights(init.critic.getWeights());
  policy.logStd.assign(config.initLogStd === null ? init.logStd : tf.fill([policy.actSize], config.initLogStd));
  policy.normalizer = init.normalizer.clone();
  policy.syncFastPath();
  return policy;
}

export interface ScoredBatch {
  /** [T·N × obsSize] observations under the (now frozen) normaliser. */
  normObs: Float32Array;
  /** log π_old(a_t|s_t) of the stored samples. */
  logProbs: Float32Array;
  values: Float32Array;
  /** V(final obs) where an episode ended (0 elsewhere). */
  finalValues: Float32Array;
  /** [N] V(s_T). */
  lastValues: Float32Array;
}

/** One batched forward pass of actor and critic over the rollout. */
export function scoreBatch(policy: GaussianMlpPolicy, buf: RolloutBuffer): ScoredBatch {
  const { T, N, obsSize: O, actSize: A } = buf;
  const B = T * N;
  const normObs = policy.normalizer.apply(buf.obs);
  const ended: number[] = [];
  for (let k = 0; k < B; k++) if (buf.terminated[k] || buf.truncated[k]) ended.push(k);
  const endedObs = new Float32Array(ended.length * O);
  ended.forEach((k, j) => endedObs.set(buf.finalObs.subarray(k * O, (k + 1) * O), j * O));
  const values = (o: Float32Array, n: number): Float32Array => {
    if (n === 0) return new Float32Array(0);
    const v = tf.tidy(() => criticValue(policy, tf.tensor2d(policy.normalizer.apply(o), [n, O])));
    const out = v.dataSync() as Float32Array;
    v.dispose();
    return out;
  };
  const lp = tf.tidy(() => {
    const obs = tf.tensor2d(normObs, [B, O]);
    return tanhGaussianLogProb(tf.tensor2d(buf.u, [B, A]), actorMean(policy, obs), policy.logStd as tf.Tensor1D);
  });
  const logProbs = lp.dataSync() as Float32Array;
  lp.dispose();
  const v = tf.tidy(() => criticValue(policy, tf.tensor2d(normObs, [B, O])));
  const batchValues = v.dataSync() as Float32Array;
  v.dispose();
  const finalValues = new Float32Array(B);
  const endedValues = values(endedObs, ended.length);
  ended.forEach((k, j) => (finalValues[k] = endedValues[j]));
  return { normObs, logProbs, values: batchValues, finalValues, lastValues: values(buf.nextObs, N) };
}

/** A random permutation of 0..n−1 (Fisher–Yates). */
export function shuffled(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** On resume: drop metrics rows logged after the checkpoint (their updates are redone). */
export function rewriteMetricsUpTo(run: RunDir, update: number): void {
  const file = join(run.path, 'metrics.jsonl');
  if (!existsSync(file)) return;
  const kept = run.readMetrics().filter((r) => typeof r.update !== 'number' || r.update <= update);
  writeFileSync(file, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
}
