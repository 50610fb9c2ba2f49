/**
 * The Float32Array fast path against tfjs `predict` on the real (wasm) backend: random weights,
 * random inputs, tanh and relu, several architectures, and after a weight change + syncFastPath().
 * Both kernels (wasm SIMD and plain js) bit for bit against a plain reference loop and against
 * outputs pinned from the implementation before the packed kernels.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/policy/models/backend.js';
import { FastMlp, type FastMlpKernel } from '../../src/policy/models/fast-mlp.js';
import { buildMlp, denseWeights, type Activation, type DenseWeights } from '../../src/policy/models/mlp.js';
import { GaussianMlpPolicy } from '../../src/policy/models/gaussian-policy.js';
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
    const [k, _b] = layer.getWeights();
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

const KERNELS: FastMlpKernel[] = ['wasm', 'js'];
const CASES = (['tanh', 'relu'] as Activation[]).flatMap((activation) =>
  KERNELS.map((kernel) => [activation, kernel] as const),
);

it('runs on the wasm kernel by default (WebAssembly SIMD is there on Node 20)', () => {
  expect(new FastMlp([{ w: new Float32Array(6), b: new Float32Array(3), inSize: 2, outSize: 3 }], 'tanh').kernel).toBe(
    'wasm',
  );
  expect(
    new FastMlp([{ w: new Float32Array(6), b: new Float32Array(3), inSize: 2, outSize: 3 }], 'tanh', { kernel: 'js' })
      .kernel,
  ).toBe('js');
});

describe.each(CASES)('FastMlp (%s, %s kernel) equals tfjs predict', (activation, kernel) => {
  it.each(ARCHS)('in $inputSize, hidden $hidden, out $outputSize', ({ inputSize, hidden, outputSize }) => {
    const rng = new Rng(hidden.length * 31 + inputSize);
    const model = buildMlp({ inputSize, hidden, outputSize, activation }, 'm', 5);
    randomizeWeights(model, rng);
    const fast = new FastMlp(denseWeights(model), activation, { kernel });
    expect(fast.kernel).toBe(kernel);
    expect(fast.inputSize).toBe(inputSize);
    expect(fast.outputSize).toBe(outputSize);
    const n = 32;
    const x = randn(rng, n * inputSize, 2);
    x.fill(0, 0, inputSize); // an all-zero row
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
  it.each(CASES)(
    '%s, %s kernel: within a few float32 roundings, whatever the tfjs backend does',
    (activation, kernel) => {
      const rng = new Rng(99);
      for (const { inputSize, hidden, outputSize } of ARCHS) {
        const model = buildMlp({ inputSize, hidden, outputSize, activation }, 'r', 3);
        randomizeWeights(model, rng);
        const layers = denseWeights(model);
        const fast = new FastMlp(layers, activation, { kernel });
        for (let k = 0; k < 16; k++) {
          const x = randn(rng, inputSize, 2);
          expect(relErr(fast.forward(x), exactForward(layers, x, activation))).toBeLessThanOrEqual(3e-6);
        }
        model.dispose();
      }
    },
  );
});

/**
 * The arithmetic FastMlp promises, as a plain loop: per output unit a float64 sum over the inputs in
 * order from 0, plus the bias, rounded to float32 (the Float32Array store); hidden layers then apply
 * the activation and round again.
 */
function referenceForward(layers: DenseWeights[], x: ArrayLike<number>, activation: Activation): Float32Array {
  let input: ArrayLike<number> = x;
  layers.forEach((l, k) => {
    const y = new Float32Array(l.outSize);
    for (let j = 0; j < l.outSize; j++) {
      let sum = 0;
      for (let i = 0; i < l.inSize; i++) sum += input[i] * l.w[i * l.outSize + j];
      y[j] = l.b[j] + sum;
    }
    if (k < layers.length - 1) {
      for (let j = 0; j < l.outSize; j++) y[j] = activation === 'tanh' ? Math.tanh(y[j]) : y[j] < 0 ? 0 : y[j];
    }
    input = y;
  });
  return input as Float32Array;
}

/** Dense layers with float32 weights ~ N(0, 1.5/√fanIn) and biases ~ N(0, 0.3). */
function randomLayers(rng: Rng, sizes: number[]): DenseWeights[] {
  const layers: DenseWeights[] = [];
  for (let k = 0; k + 1 < sizes.length; k++) {
    const [inSize, outSize] = [sizes[k], sizes[k + 1]];
    const w = new Float32Array(inSize * outSize);
    for (let i = 0; i < w.length; i++) w[i] = rng.normal(0, 1.5 / Math.sqrt(inSize));
    const b = new Float32Array(outSize);
    for (let i = 0; i < b.length; i++) b[i] = rng.normal(0, 0.3);
    layers.push({ w, b, inSize, outSize });
  }
  return layers;
}

/** The float32 bit patterns, every NaN as 'NaN' (wasm does not promise NaN payloads). */
function bits(a: Float32Array): string[] {
  const u = new Uint32Array(a.buffer, a.byteOffset, a.length);
  return Array.from(a, (v, i) => (Number.isNaN(v) ? 'NaN' : u[i].toString(16).padStart(8, '0')));
}

describe.each(CASES)('FastMlp (%s, %s kernel) bit for bit', (activation, kernel) => {
  /** Inputs of several kinds: float32 values, doubles that are not, zeros, huge and tiny ones. */
  function inputs(rng: Rng, n: number): ArrayLike<number>[] {
    const scaled = (scale: number) => Float32Array.from({ length: n }, () => rng.normal(0, scale));
    return [
      scaled(2),
      scaled(2),
      Array.from({ length: n }, () => rng.normal(0, 2)), // not float32: used unrounded
      new Float32Array(n),
      Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0 : rng.normal(0, 2))),
      scaled(1e38), // float32 overflow of sums: ±Infinity (and relu of −Infinity) …
      Array.from({ length: n }, () => rng.normal(0, 3e38)), // … often, and NaN in later layers
      scaled(1e-39), // float32 subnormals
    ];
  }

  function check(layers: DenseWeights[], rng: Rng): void {
    const fast = new FastMlp(layers, activation, { kernel });
    expect(fast.kernel).toBe(kernel);
    for (const x of inputs(rng, layers[0].inSize)) {
      expect(bits(fast.forward(x))).toEqual(bits(referenceForward(layers, x, activation)));
    }
  }

  it('one layer: 1–129 inputs × 1–129 outputs (every block width and remainder)', () => {
    const rng = new Rng(kernel === 'wasm' ? 11 : 12);
    for (const inSize of [1, 2, 7, 9, 29, 129]) {
      for (const outSize of [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 24, 31, 33, 129])
        check(randomLayers(rng, [inSize, outSize]), rng);
    }
  });

  it('deep networks with odd sizes, and the default BC shape', () => {
    const rng = new Rng(kernel === 'wasm' ? 21 : 22);
    for (const sizes of [
      [1, 1, 1],
      [7, 9, 129, 1],
      [3, 17, 33, 7],
      [9, 1, 7, 5, 3],
      [29, 128, 128, 2],
      [29, 129, 127, 3],
    ])
      check(randomLayers(rng, sizes), rng);
  });

  it('the outputs of the implementation before the packed kernels', () => {
    // float32 bits of three outputs of randomLayers(new Rng(2024), sizes), inputs ~ N(0, 2) from the
    // same rng, recorded from the 4-accumulator Float32Array kernel this one replaced.
    const PINNED: Record<Activation, Record<string, string>> = {
      relu: {
        '29,128,128,2': '3fbee245 3fcd8c45 be5dde3d 40bec72c 4045c24c 409979d5',
        '7,9,33,3': '3f4b1549 3fe4f9ae c01c0629 c01270f6 3fb1065e c02d59e5 c07ba2ed 408ba0c8 3f007ce3',
      },
      tanh: {
        '29,128,128,2': '3f8e1a3c 3f9de6b9 bf423d06 3fba82ff bf3710d0 3fd3759a',
        '7,9,33,3': '400fb58f 3e0836a2 3f30510c 3cb7d844 3f261fad bfca9cb0 c002f4af 3ed7631b 3fd6afe2',
      },
    };
    for (const [key, want] of Object.entries(PINNED[activation])) {
      const sizes = key.split(',').map(Number);
      const rng = new Rng(2024);
      const fast = new FastMlp(randomLayers(rng, sizes), activation, { kernel });
      const got: number[] = [];
      for (let k = 0; k < 3; k++)
        got.push(...fast.forward(Float32Array.from({ length: sizes[0] }, () => rng.normal(0, 2))));
      expect(bits(Float32Array.from(got)).join(' ')).toBe(want);
    }
  });

  it('reuses its output array unless given one, and leaves a given one to the caller', () => {
    const rng = new Rng(5);
    const layers = randomLayers(rng, [5, 9, 3]);
    const fast = new FastMlp(layers, activation, { kernel });
    const [x1, x2] = [randn(rng, 5, 2), randn(rng, 5, 2)];
    const a = fast.forward(x1);
    expect(fast.forward(x2)).toBe(a);
    expect(bits(a)).toEqual(bits(referenceForward(layers, x2, activation)));
    const out = new Float32Array(3);
    expect(fast.forward(x1, out)).toBe(out);
    expect(bits(out)).toEqual(bits(referenceForward(layers, x1, activation)));
    expect(bits(a)).toEqual(bits(referenceForward(layers, x2, activation)));
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
