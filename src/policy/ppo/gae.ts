/**
 * Generalised Advantage Estimation (Schulman et al. 2016, eq. 11–16) over a time-major rollout
 * [T × N] from a vector env with same-step autoreset:
 *
 *   δ_t = r_t + γ · V(s_{t+1}) − V(s_t)      A_t = δ_t + γλ · A_{t+1}      R_t = A_t + V(s_t)
 *
 * where the episode boundary decides what "s_{t+1}" is:
 * - terminated at t (success or failure): the task ended, V(s_{t+1}) = 0 and A stops there;
 * - truncated at t (time limit only): the episode could have gone on, so bootstrap from
 *   V(final observation) (the vector env's `finalObs`), and A stops there (the next row belongs
 *   to a new episode);
 * - otherwise V(s_{t+1}) is the next row's value, or `lastValues` after the last step.
 * A step both terminated and truncated counts as terminated.
 */

export interface GaeInput {
  /** Rollout steps T and envs N; every per-step array is time-major, index t · N + i. */
  T: number;
  N: number;
  rewards: ArrayLike<number>;
  /** V(s_t) of the observation each step acted on. */
  values: ArrayLike<number>;
  terminated: ArrayLike<number>;
  truncated: ArrayLike<number>;
  /** V(final observation) of an episode truncated at step t (read only where truncated). */
  finalValues: ArrayLike<number>;
  /** [N] V(s_T): the observations after the last step. */
  lastValues: ArrayLike<number>;
  gamma: number;
  lambda: number;
}

export interface GaeOutput {
  advantages: Float32Array;
  /** Value targets R_t = A_t + V(s_t) (the λ-return). */
  returns: Float32Array;
}

export function computeGae(x: GaeInput): GaeOutput {
  const { T, N, gamma, lambda } = x;
  const advantages = new Float32Array(T * N);
  const returns = new Float32Array(T * N);
  for (let i = 0; i < N; i++) {
    let nextAdvantage = 0;
    for (let t = T - 1; t >= 0; t--) {
      const k = t * N + i;
      let nextValue: number;
      let continues: number;
      if (x.terminated[k]) {
        nextValue = 0;
        continues = 0;
      } else if (x.truncated[k]) {
        nextValue = x.finalValues[k];
        continues = 0;
      } else {
        nextValue = t === T - 1 ? x.lastValues[i] : x.values[k + N];
        continues = 1;
      }
      const delta = x.rewards[k] + gamma * nextValue - x.values[k];
      nextAdvantage = delta + gamma * lambda * continues * nextAdvantage;
      advantages[k] = nextAdvantage;
      returns[k] = nextAdvantage + x.values[k];
    }
  }
  return { advantages, returns };
}

/** 1 − Var(returns − values) / Var(returns): how much of the return variance the critic explains. */
export function explainedVariance(values: ArrayLike<number>, returns: ArrayLike<number>): number {
  const n = returns.length;
  let mr = 0;
  let md = 0;
  for (let k = 0; k < n; k++) {
    mr += returns[k];
    md += returns[k] - values[k];
  }
  mr /= n;
  md /= n;
  let vr = 0;
  let vd = 0;
  for (let k = 0; k < n; k++) {
    vr += (returns[k] - mr) ** 2;
    vd += (returns[k] - values[k] - md) ** 2;
  }
  return vr === 0 ? NaN : 1 - vd / vr;
}
