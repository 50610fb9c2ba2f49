/**
 * The Float32Array fast path against tfjs `predict` on the real (wasm) backend: random weights,
 * random inputs, tanh and relu, several architectures, and after a weight change + syncFastPath().
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/policy/backend.js';
import { FastMlp } from '../../src/policy/fast-mlp.js';
import { buildMlp, denseWeights, type Activation } from '../../src/policy/mlp.js';
import { GaussianMlpPolicy } from '../../src/policy/gaussian-policy.js';
import type { Contract } from '../../src/sim/contract.js';
import { Rng } from '../../src/sim/rng.js';

const REL = 1e-5;

beforeAll(async () => {
  expect((await initBackend()).name).toBe('wasm');
});

function randn(rng: Rng, n: number, std: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal(0, std);
  return a;
}

/** Overwrite every kernel and bias with random values (scaled so activations stay O(1)). */
function randomizeWeights(model: tf.LayersModel, rng: Rng): void {
  for (const layer of model.layers) {
    const [k, b] = layer.getWeights();
    const [fanIn, fanOut] = k.shape as [number, number];
    const kernel = tf.tensor2d(randn(rng, fanIn * fanOut, 1.5 / Math.sqrt(fanIn)), [fanIn, fanOut]);
    const bias = tf.tensor1d(randn(rng, fanOut, 0.3));
    layer.setWeights([kernel, bias]);
    kernel.dispose();
    bias.dispose();
  }
}

function predictRows(model: tf.LayersModel, x: Float32Array, n: number, inSize: number): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor2d(x, [n, inSize])) as tf.Tensor).dataSync() as Float32Array).slice();
}

/** max |a − b| / max |b|: float32 agreement measured against the size of the output vector. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / Math.max(scale, 1e-30);
}

const ARCHS: { inputSize: number; hidden: number[]; outputSize: number }[] = [
  { inputSize: 3, hidden: [], outputSize: 2 },
  { inputSize: 29, hidden: [64, 64], outputSize: 2 },
  { inputSize: 21, hidden: [256, 256], outputSize: 5 },
  { inputSize: 7, hidden: [32, 16, 8], outputSize: 3 },
];

describe.each(['tanh', 'relu'] as Activation[])('FastMlp (%s) equals tfjs predict', (activation) => {
  it.each(ARCHS)('in $inputSize, hidden $hidden, out $outputSize', ({ inputSize, hidden, outputSize }) => {
    const rng = new Rng(hidden.length * 31 + inputSize);
    const model = buildMlp({ inputSize, hidden, outputSize, activation }, 'm', 5);
    randomizeWeights(model, rng);
    const fast = new FastMlp(denseWeights(model), activation);
    expect(fast.inputSize).toBe(inputSize);
    expect(fast.outputSize).toBe(outputSize);
    const n = 32;
    const x = randn(rng, n * inputSize, 2);
    x.fill(0, 0, inputSize); // an all-zero row (the fast path skips zero inputs)
    const want = predictRows(model, x, n, inputSize);
    let worst = 0;
    for (let k = 0; k < n; k++) {
      const got = fast.forward(x.subarray(k * inputSize, (k + 1) * inputSize));
      worst = Math.max(worst, relErr(got, want.subarray(k * outputSize, (k + 1) * outputSize)));
    }
    expect(worst).toBeLessThanOrEqual(REL);
    // With `out`, the result lands in the caller's array.
    const out = new Float32Array(outputSize);
    expect(fast.forward(x.subarray(inputSize, 2 * inputSize), out)).toBe(out);
    expect(relErr(out, want.subarray(outputSize, 2 * outputSize))).toBeLessThanOrEqual(REL);
    model.dispose();
  });
});

/** The same network in float64 with plain loops: what both float32 implementations approximate. */
function exactForward(layers: ReturnType<typeof denseWeights>, x: ArrayLike<number>, activation: Activation): number[] {
  let input = Array.from(x);
  layers.forEach((l, k) => {
    const y = Array.from(l.b);
    for (let i = 0; i < l.inSize; i++) for (let j = 0; j < l.outSize; j++) y[j] += input[i] * l.w[i * l.outSize + j];
    input = k === layers.length - 1 ? y : y.map((v) => (activation === 'tanh' ? Math.tanh(v) : Math.max(0, v)));
  });
  return input;
}

describe('FastMlp against a float64 reference', () => {
  it.each(['tanh', 'relu'] as Activation[])('%s: within a few float32 roundings, whatever the tfjs backend does', (activation) => {
    const rng = new Rng(99);
    for (const { inputSize, hidden, outputSize } of ARCHS) {
      const model = buildMlp({ inputSize, hidden, outputSize, activation }, 'r', 3);
      randomizeWeights(model, rng);
      const layers = denseWeights(model);
      const fast = new FastMlp(layers, activation);
      for (let k = 0; k < 16; k++) {
        const x = randn(rng, inputSize, 2);
        expect(relErr(fast.forward(x), exactForward(layers, x, activation))).toBeLessThanOrEqual(3e-6);
      }
      model.dispose();
    }
  });
});

const CONTRACT: Contract = {
  obs: [
    { name: 'a', size: 9, unit: 'm', low: -5, high: 5 },
    { name: 'b', size: 4, unit: 'rad', low: -3, high: 3 },
  ],
  action: [{ name: 'u', size: 3, unit: '1', low: -1, high: 1 }],
};

describe.each(['tanh', 'relu'] as Activation[])('GaussianMlpPolicy (%s) fast path', (activation) => {
  let policy: GaussianMlpPolicy;
  const rng = new Rng(activation === 'tanh' ? 1 : 2);
  beforeAll(() => {
    policy = new GaussianMlpPolicy('t', CONTRACT, { hidden: [48, 40], activation, critic: true, initLogStd: -0.5 });
    policy.normalizer.update(randn(rng, 50 * 13, 3), 50);
  });
  afterAll(() => policy.dispose());

  /** act() (deterministic) against tanh(actor.predict(normalise(obs))) and the critic likewise. */
  function check(): void {
    const n = 16;
    const obs = randn(rng, n * 13, 3);
    const norm = policy.normalizer.apply(obs);
    const mean = predictRows(policy.actor, norm, n, 13);
    const value = predictRows(policy.critic!, norm, n, 13);
    const batch = policy.actBatch(obs, n);
    for (let k = 0; k < n; k++) {
      const o = obs.subarray(k * 13, (k + 1) * 13);
      const want = Array.from(mean.subarray(k * 3, (k + 1) * 3), Math.tanh);
      expect(relErr(policy.act(o), want)).toBeLessThanOrEqual(REL);
      expect(relErr(policy.act(o, { deterministic: true }), want)).toBeLessThanOrEqual(REL);
      expect(Array.from(batch.subarray(k * 3, (k + 1) * 3))).toEqual(Array.from(policy.act(o)));
      expect(relErr([policy.value(o)], [value[k]])).toBeLessThanOrEqual(REL);
    }
  }

  it('act, actBatch and value equal tfjs predict for random weights', () => {
    randomizeWeights(policy.actor, rng);
    randomizeWeights(policy.critic!, rng);
    policy.syncFastPath();
    check();
  });

  it('follows a weight change after syncFastPath(), and not before', () => {
    const obs = randn(rng, 13, 3);
    const before = policy.act(obs);
    randomizeWeights(policy.actor, rng);
    randomizeWeights(policy.critic!, rng);
    expect(Array.from(policy.act(obs))).toEqual(Array.from(before));
    policy.syncFastPath();
    expect(Array.from(policy.act(obs))).not.toEqual(Array.from(before));
    check();
  });

  it('samples with the seeded rng when not deterministic, inside [-1, 1]', () => {
    const obs = randn(rng, 13, 3);
    const a = policy.act(obs, { deterministic: false, rng: new Rng(9) });
    const b = policy.act(obs, { deterministic: false, rng: new Rng(9) });
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(policy.act(obs)));
    for (const v of a) expect(Math.abs(v)).toBeLessThanOrEqual(1);
  });
});
