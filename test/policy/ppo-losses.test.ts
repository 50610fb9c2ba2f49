/** PPO's loss pieces against naive references on random numbers, and the squashed Gaussian's density against numerical integration. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/policy/models/backend.js';
import {
  clipByGlobalNorm,
  clippedSurrogateLoss,
  gaussianEntropy,
  normalizeAdvantages,
  tanhGaussianLogProb,
  valueLoss,
} from '../../src/policy/ppo/losses.js';
import { Rng } from '../../src/sim/rng.js';

beforeAll(async () => {
  await initBackend();
});

const read = (t: tf.Tensor): number[] => {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
};

function randoms(rng: Rng, n: number, std = 1): number[] {
  return Array.from({ length: n }, () => rng.normal(0, std));
}

describe('clipped surrogate loss', () => {
  it('equals mean_i max(−A·r, −A·clip(r, 1 ± ε)) written out with loops', () => {
    const rng = new Rng(11);
    for (const eps of [0.1, 0.2, 0.3]) {
      const logRatio = randoms(rng, 257, 0.3);
      const adv = randoms(rng, 257, 2);
      let naive = 0;
      for (let i = 0; i < logRatio.length; i++) {
        const r = Math.exp(logRatio[i]);
        const clipped = Math.min(Math.max(r, 1 - eps), 1 + eps);
        naive += Math.max(-adv[i] * r, -adv[i] * clipped);
      }
      naive /= logRatio.length;
      const got = read(clippedSurrogateLoss(tf.tensor1d(logRatio), tf.tensor1d(adv), eps))[0];
      expect(got).toBeCloseTo(naive, 5);
    }
  });

  it('has zero gradient for samples whose ratio is clipped in the advantageous direction', () => {
    // A > 0 and r > 1 + ε: no incentive to push r further; A < 0 and r < 1 − ε: likewise.
    const logRatio = tf.tensor1d([Math.log(1.5), Math.log(0.5), Math.log(1.05)]);
    const adv = tf.tensor1d([1, -1, 1]);
    const g = read(tf.grad((lr: tf.Tensor) => clippedSurrogateLoss(lr as tf.Tensor1D, adv, 0.2))(logRatio));
    expect(g[0]).toBe(0);
    expect(g[1]).toBe(0);
    expect(g[2]).toBeCloseTo((-1 * 1.05) / 3, 5);
  });
});

describe('value loss', () => {
  it('clipped: ½·mean max((V − R)², (V_old + clip(V − V_old, ±ε) − R)²); unclipped: ½·mean (V − R)²', () => {
    const rng = new Rng(12);
    const v = randoms(rng, 300, 2);
    const vOld = v.map((x) => x + rng.normal(0, 0.5));
    const ret = randoms(rng, 300, 2);
    const eps = 0.2;
    let clippedNaive = 0;
    let plainNaive = 0;
    for (let i = 0; i < v.length; i++) {
      const vClipped = vOld[i] + Math.min(Math.max(v[i] - vOld[i], -eps), eps);
      clippedNaive += 0.5 * Math.max((v[i] - ret[i]) ** 2, (vClipped - ret[i]) ** 2);
      plainNaive += 0.5 * (v[i] - ret[i]) ** 2;
    }
    const [a, b, c] = [tf.tensor1d(v), tf.tensor1d(vOld), tf.tensor1d(ret)];
    expect(read(valueLoss(a, b, c, eps))[0]).toBeCloseTo(clippedNaive / v.length, 4);
    expect(read(valueLoss(a, b, c, null))[0]).toBeCloseTo(plainNaive / v.length, 4);
  });
});

/** Φ-free reference: P(u ∈ [a, b]) for u ~ N(μ, σ²) by composite Simpson integration of the density. */
function gaussianMass(a: number, b: number, mu: number, sigma: number, steps = 2000): number {
  const pdf = (u: number) => Math.exp(-0.5 * ((u - mu) / sigma) ** 2) / (sigma * Math.sqrt(2 * Math.PI));
  const h = (b - a) / steps;
  let s = pdf(a) + pdf(b);
  for (let k = 1; k < steps; k++) s += (k % 2 === 1 ? 4 : 2) * pdf(a + k * h);
  return (s * h) / 3;
}

describe('tanh-squashed Gaussian log-probability', () => {
  it('matches the numerically differentiated distribution of a = tanh(u)', () => {
    // Density of a at tanh(u): P(tanh(u') ∈ [a − h, a + h]) / 2h, with the mass integrated over
    // u' ∈ [atanh(a − h), atanh(a + h)] — no change-of-variables formula involved.
    const rng = new Rng(13);
    const B = 12;
    const A = 2;
    const mean = randoms(rng, B * A, 1);
    const logStd = [-0.7, 0.2];
    const u = mean.map((m, k) => m + Math.exp(logStd[k % A]) * rng.normal());
    const got = read(tanhGaussianLogProb(tf.tensor2d(u, [B, A]), tf.tensor2d(mean, [B, A]), tf.tensor1d(logStd)));
    for (let b = 0; b < B; b++) {
      let logDensity = 0;
      for (let j = 0; j < A; j++) {
        const k = b * A + j;
        const a = Math.tanh(u[k]);
        const h = 1e-4 * (1 - a * a);
        const mass = gaussianMass(Math.atanh(a - h), Math.atanh(a + h), mean[k], Math.exp(logStd[j]));
        logDensity += Math.log(mass / (2 * h));
      }
      expect(got[b]).toBeCloseTo(logDensity, 3);
    }
  });

  it('stays finite for saturated samples (|u| = 20, where 1 − tanh² underflows in float32)', () => {
    const lp = read(
      tanhGaussianLogProb(tf.tensor2d([20, -20], [1, 2]), tf.tensor2d([19.5, -19.5], [1, 2]), tf.tensor1d([0, 0])),
    );
    expect(Number.isFinite(lp[0])).toBe(true);
    // log N(0.5; 0, 1)·2 − 2·log(1 − tanh²(20)) with log(1 − tanh² u) ≈ log 4 − 2|u|.
    const expected = 2 * (-0.125 - 0.5 * Math.log(2 * Math.PI)) - 2 * (Math.log(4) - 40);
    expect(lp[0]).toBeCloseTo(expected, 2);
  });
});

describe('Gaussian entropy', () => {
  it('equals −∫ p log p, summed over independent dimensions', () => {
    const logStd = [-1.2, 0.3];
    let numeric = 0;
    for (const ls of logStd) {
      const s = Math.exp(ls);
      const steps = 20000;
      const lo = -12 * s;
      const h = (24 * s) / steps;
      for (let k = 0; k <= steps; k++) {
        const x = lo + k * h;
        const p = Math.exp(-0.5 * (x / s) ** 2) / (s * Math.sqrt(2 * Math.PI));
        if (p > 0) numeric -= p * Math.log(p) * h;
      }
    }
    expect(read(gaussianEntropy(tf.tensor1d(logStd)))[0]).toBeCloseTo(numeric, 4);
  });
});

describe('advantage normalisation and gradient clipping', () => {
  it('normalises to mean 0 and (unbiased) std 1', () => {
    const rng = new Rng(14);
    const a = randoms(rng, 64, 5).map((x) => x + 3);
    const n = read(normalizeAdvantages(tf.tensor1d(a)));
    const mean = n.reduce((s, x) => s + x, 0) / n.length;
    const std = Math.sqrt(n.reduce((s, x) => s + (x - mean) ** 2, 0) / (n.length - 1));
    expect(mean).toBeCloseTo(0, 5);
    expect(std).toBeCloseTo(1, 4);
  });

  it('scales all gradients by one factor so the global norm is at most the limit', () => {
    const g = [tf.tensor1d([3, 0]), tf.tensor2d([[0, 4]])];
    const { clipped, norm } = clipByGlobalNorm(g, 1);
    expect(norm).toBeCloseTo(5, 5);
    expect(read(clipped[0])).toEqual([expect.closeTo(0.6, 5), 0]);
    expect(read(clipped[1])).toEqual([0, expect.closeTo(0.8, 5)]);
    const small = clipByGlobalNorm(g, 10);
    expect(read(small.clipped[0])).toEqual([3, 0]);
    tf.dispose([...g, ...small.clipped]);
  });
});
