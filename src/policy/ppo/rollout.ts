/**
 * Collecting PPO's experience: T steps of N envs (a VectorEnv) with the squashed Gaussian policy,
 * into a time-major buffer of raw observations, pre-tanh samples u, rewards and episode flags.
 * The policy (weights and normaliser) is frozen for the whole rollout. Inference is one batched
 * tfjs call per step: no slower than N calls of the Float32 fast path, faster with more envs or
 * wider networks, and the envs dominate a rollout step anyway (bench/ppo.ts; docs/design.md,
 * "Findings").
 */
import * as tf from '@tensorflow/tfjs';
import type { VectorEnv } from '../../sim/vector-env.js';
import type { Rng } from '../../sim/rng.js';
import type { GaussianMlpPolicy } from '../models/gaussian-policy.js';
import { actorMean } from './mlp.js';

export interface RolloutBuffer {
  T: number;
  N: number;
  obsSize: number;
  actSize: number;
  /** [T·N × obsSize] the raw observations acted on. */
  obs: Float32Array;
  /** [T·N × actSize] pre-tanh samples; the env got tanh(u). */
  u: Float32Array;
  rewards: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  /** [T·N × obsSize] last observation of an episode that ended at that step (valid where it ended). */
  finalObs: Float32Array;
  /** [N × obsSize] the observations after the last step (to bootstrap from). */
  nextObs: Float32Array;
}

export function allocateRollout(T: number, N: number, obsSize: number, actSize: number): RolloutBuffer {
  return {
    T,
    N,
    obsSize,
    actSize,
    obs: new Float32Array(T * N * obsSize),
    u: new Float32Array(T * N * actSize),
    rewards: new Float32Array(T * N),
    terminated: new Uint8Array(T * N),
    truncated: new Uint8Array(T * N),
    finalObs: new Float32Array(T * N * obsSize),
    nextObs: new Float32Array(N * obsSize),
  };
}

export interface FinishedEpisode {
  return: number;
  length: number;
  success: boolean;
}

/** Running return and length per env; episodes that end are moved to `finished`. */
export class EpisodeTracker {
  private readonly returns: Float64Array;
  private readonly lengths: Int32Array;
  finished: FinishedEpisode[] = [];

  constructor(n: number) {
    this.returns = new Float64Array(n);
    this.lengths = new Int32Array(n);
  }

  step(i: number, reward: number, ended: boolean, success: boolean): void {
    this.returns[i] += reward;
    this.lengths[i] += 1;
    if (!ended) return;
    this.finished.push({ return: this.returns[i], length: this.lengths[i], success });
    this.returns[i] = 0;
    this.lengths[i] = 0;
  }

  /** The episodes finished since the last call. */
  drain(): FinishedEpisode[] {
    const out = this.finished;
    this.finished = [];
    return out;
  }
}

/** Pre-tanh means for n raw observations: normalise on the CPU, one tfjs forward pass. */
export function actorMeans(policy: GaussianMlpPolicy, obs: Float32Array, n: number): Float32Array {
  const normObs = policy.normalizer.apply(obs.subarray(0, n * policy.obsSize));
  const mean = tf.tidy(() => actorMean(policy, tf.tensor2d(normObs, [n, policy.obsSize])));
  const out = mean.dataSync() as Float32Array;
  mean.dispose();
  return out;
}

/**
 * Step `venv` T times from `obs` (the current observations, [N × obsSize]) and fill `buf`.
 * Returns the observations to continue from (a copy, = buf.nextObs).
 */
export async function collectRollout(
  venv: VectorEnv,
  policy: GaussianMlpPolicy,
  obs: Float32Array,
  buf: RolloutBuffer,
  rng: Rng,
  episodes: EpisodeTracker,
): Promise<Float32Array> {
  const { T, N, obsSize: O, actSize: A } = buf;
  const std = policy.logStdValues.map(Math.exp);
  const actions = new Float32Array(N * A);
  let current = obs;
  for (let t = 0; t < T; t++) {
    const row = t * N;
    buf.obs.set(current, row * O);
    const mean = actorMeans(policy, current, N);
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < A; j++) {
        const k = i * A + j;
        const u = mean[k] + std[j] * rng.normal();
        buf.u[row * A + k] = u;
        actions[k] = Math.tanh(u);
      }
    }
    const r = await venv.step(actions);
    for (let i = 0; i < N; i++) {
      const k = row + i;
      buf.rewards[k] = r.rewards[i];
      buf.terminated[k] = r.terminated[i];
      buf.truncated[k] = r.truncated[i];
      const ended = r.terminated[i] === 1 || r.truncated[i] === 1;
      if (ended) buf.finalObs.set(r.finalObs.subarray(i * O, (i + 1) * O), k * O);
      episodes.step(i, r.rewards[i], ended, r.success[i] === 1);
    }
    current = r.obs;
  }
  buf.nextObs.set(current);
  return buf.nextObs.slice();
}
