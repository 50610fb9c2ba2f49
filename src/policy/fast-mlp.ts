/**
 * The MLP forward pass on Float32Arrays, for single-observation control loops: a tfjs `predict`
 * costs tens of µs of per-call overhead (tensor allocation, backend dispatch) whatever the network
 * size. Outputs equal tfjs's to float32 precision (test/policy/fast-mlp.test.ts); speed against
 * `predict` is in `npm run bench -- policy`.
 *
 * Kernels are kept transposed ([outSize × inSize], one contiguous row per output unit) and four
 * output units are computed per pass over the input, with float64 accumulators: each input value is
 * loaded once per four dot products, and no partial sum goes back to memory.
 */
import type { Activation, DenseWeights } from './mlp.js';

interface Layer {
  /** Transposed kernel: row j holds the weights into output unit j. */
  wt: Float32Array;
  b: Float32Array;
  inSize: number;
  outSize: number;
}

function transpose({ w, b, inSize, outSize }: DenseWeights): Layer {
  const wt = new Float32Array(inSize * outSize);
  for (let i = 0; i < inSize; i++) for (let j = 0; j < outSize; j++) wt[j * inSize + i] = w[i * outSize + j];
  return { wt, b: Float32Array.from(b), inSize, outSize };
}

/** y = x·W + b for one layer (no activation). */
function dense(x: ArrayLike<number>, { wt, b, inSize, outSize }: Layer, y: Float32Array): void {
  const o4 = outSize - (outSize % 4);
  let j = 0;
  for (; j < o4; j += 4) {
    const r0 = j * inSize;
    const r1 = r0 + inSize;
    const r2 = r1 + inSize;
    const r3 = r2 + inSize;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    for (let i = 0; i < inSize; i++) {
      const xi = x[i];
      a0 += xi * wt[r0 + i];
      a1 += xi * wt[r1 + i];
      a2 += xi * wt[r2 + i];
      a3 += xi * wt[r3 + i];
    }
    y[j] = b[j] + a0;
    y[j + 1] = b[j + 1] + a1;
    y[j + 2] = b[j + 2] + a2;
    y[j + 3] = b[j + 3] + a3;
  }
  for (; j < outSize; j++) {
    const r = j * inSize;
    let a = 0;
    for (let i = 0; i < inSize; i++) a += x[i] * wt[r + i];
    y[j] = b[j] + a;
  }
}

export class FastMlp {
  private readonly layers: Layer[];
  private readonly buffers: Float32Array[];

  constructor(
    layers: DenseWeights[],
    private readonly activation: Activation,
  ) {
    this.layers = layers.map(transpose);
    this.buffers = layers.map((l) => new Float32Array(l.outSize));
  }

  get inputSize(): number {
    return this.layers[0].inSize;
  }

  get outputSize(): number {
    return this.layers[this.layers.length - 1].outSize;
  }

  /** Forward one input; the returned array is reused by the next call unless `out` is given. */
  forward(x: ArrayLike<number>, out?: Float32Array): Float32Array {
    let input: ArrayLike<number> = x;
    const last = this.layers.length - 1;
    for (let l = 0; l <= last; l++) {
      const y = l === last && out ? out : this.buffers[l];
      dense(input, this.layers[l], y);
      const n = this.layers[l].outSize;
      if (l < last) {
        if (this.activation === 'tanh') for (let j = 0; j < n; j++) y[j] = Math.tanh(y[j]);
        else for (let j = 0; j < n; j++) if (y[j] < 0) y[j] = 0;
      }
      input = y;
    }
    return input as Float32Array;
  }
}
