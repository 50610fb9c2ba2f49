/** GAE against a naive reference: advantages summed forwards, the obvious way, per env and episode. */
import { describe, expect, it } from 'vitest';
import { computeGae, explainedVariance, type GaeInput } from '../../src/policy/ppo/gae.js';
import { Rng } from '../../src/sim/rng.js';

/**
 * A_t = Σ_{l ≥ 0} (γλ)^l δ_{t+l}, the sum running to the step where t's episode ends (inclusive)
 * or the end of the rollout; δ_s = r_s + γ·V(next state of the same episode) − V(s_s), where the
 * next state's value is 0 after a termination, V(final obs) after a truncation, V(s_{s+1}) otherwise.
 */
function naiveGae(x: GaeInput): { advantages: number[]; returns: number[] } {
  const { T, N, gamma, lambda } = x;
  const at = (t: number, i: number) => t * N + i;
  const delta = (t: number, i: number): number => {
    const k = at(t, i);
    let next: number;
    if (x.terminated[k]) next = 0;
    else if (x.truncated[k]) next = x.finalValues[k];
    else if (t + 1 < T) next = x.values[at(t + 1, i)];
    else next = x.lastValues[i];
    return x.rewards[k] + gamma * next - x.values[k];
  };
  const advantages = new Array<number>(T * N).fill(0);
  const returns = new Array<number>(T * N).fill(0);
  for (let i = 0; i < N; i++) {
    for (let t = 0; t < T; t++) {
      let sum = 0;
      for (let s = t; s < T; s++) {
        sum += (gamma * lambda) ** (s - t) * delta(s, i);
        const k = at(s, i);
        if (x.terminated[k] || x.truncated[k]) break;
      }
      advantages[at(t, i)] = sum;
      returns[at(t, i)] = sum + x.values[at(t, i)];
    }
  }
  return { advantages, returns };
}

function randomRollout(seed: number, T: number, N: number, pEnd: number): GaeInput {
  const rng = new Rng(seed);
  const n = T * N;
  const terminated = new Uint8Array(n);
  const truncated = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const u = rng.next();
    if (u < pEnd / 2) terminated[k] = 1;
    else if (u < pEnd) truncated[k] = 1;
    // Now and then both flags (success on the last allowed step): counts as terminated.
    if (terminated[k] && rng.next() < 0.2) truncated[k] = 1;
  }
  return {
    T,
    N,
    rewards: Float32Array.from({ length: n }, () => rng.normal()),
    values: Float32Array.from({ length: n }, () => rng.normal(0, 3)),
    terminated,
    truncated,
    finalValues: Float32Array.from({ length: n }, () => rng.normal(0, 3)),
    lastValues: Float32Array.from({ length: N }, () => rng.normal(0, 3)),
    gamma: 0.97,
    lambda: 0.9,
  };
}

describe('computeGae', () => {
  it('matches the naive forward sums on random rollouts with terminations and truncations', () => {
    for (const [seed, T, N, pEnd] of [
      [1, 32, 4, 0.1],
      [2, 50, 3, 0.3],
      [3, 7, 1, 0],
      [4, 20, 5, 0.9],
    ]) {
      const x = randomRollout(seed, T, N, pEnd);
      const got = computeGae(x);
      const want = naiveGae(x);
      for (let k = 0; k < T * N; k++) {
        expect(got.advantages[k]).toBeCloseTo(want.advantages[k], 4);
        expect(got.returns[k]).toBeCloseTo(want.returns[k], 4);
      }
    }
  });

  it('bootstraps from V(final obs) on truncation and not at all on termination (worked example)', () => {
    // One env, 4 steps: terminated at t=1, truncated at t=3.
    const x: GaeInput = {
      T: 4,
      N: 1,
      rewards: [1, 2, 3, 4],
      values: [10, 20, 30, 40],
      terminated: [0, 1, 0, 0],
      truncated: [0, 0, 0, 1],
      finalValues: [0, 999, 0, 50],
      lastValues: [777],
      gamma: 0.5,
      lambda: 1,
    };
    const { advantages, returns } = computeGae(x);
    // t=3: 4 + 0.5·50 − 40 = −11 (bootstrap from the final obs, not from lastValues).
    // t=2: δ = 3 + 0.5·40 − 30 = −7; A = −7 + 0.5·(−11) = −12.5.
    // t=1: 2 + 0 − 20 = −18 (terminated: no bootstrap, and finalValues ignored).
    // t=0: δ = 1 + 0.5·20 − 10 = 1; A = 1 + 0.5·(−18) = −8.
    expect(Array.from(advantages)).toEqual([-8, -18, -12.5, -11]);
    expect(Array.from(returns)).toEqual([2, 2, 17.5, 29]);
  });

  it('with λ = 1 the returns are the discounted rewards to the episode end plus the bootstrap', () => {
    const x = randomRollout(9, 40, 2, 0.15);
    x.lambda = 1;
    const { returns } = computeGae(x);
    for (let i = 0; i < x.N; i++) {
      for (let t = 0; t < x.T; t++) {
        let g = 0;
        let discount = 1;
        let s = t;
        for (; s < x.T; s++) {
          const k = s * x.N + i;
          g += discount * x.rewards[k];
          discount *= x.gamma;
          if (x.terminated[k]) break;
          if (x.truncated[k]) {
            g += discount * x.finalValues[k];
            break;
          }
        }
        if (s === x.T) g += discount * x.lastValues[i];
        expect(returns[t * x.N + i]).toBeCloseTo(g, 3);
      }
    }
  });
});

describe('explainedVariance', () => {
  it('is 1 for perfect values, 0 for a constant at the mean, negative for worse', () => {
    const returns = [1, 2, 3, 4, 5];
    expect(explainedVariance(returns, returns)).toBeCloseTo(1, 10);
    expect(explainedVariance([3, 3, 3, 3, 3], returns)).toBeCloseTo(0, 10);
    expect(explainedVariance([5, 4, 3, 2, 1], returns)).toBeLessThan(0);
  });
});
