/**
 * The MLP forward pass on Float32Arrays, for single-observation control loops: a tfjs `predict`
 * costs tens of µs of per-call overhead (tensor allocation, backend dispatch) for a network that
 * needs a few µs of arithmetic. Outputs equal tfjs's to float32 precision (test/policy/fast-mlp.test.ts).
 */
import type { Activation, DenseWeights } from './mlp.js';

export class FastMlp {
  private readonly buffers: Float32Array[];

  constructor(
    private readonly layers: DenseWeights[],
    private readonly activation: Activation,
  ) {
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
      const { w, b, inSize, outSize } = this.layers[l];
      const y = l === last && out ? out : this.buffers[l];
      for (let j = 0; j < outSize; j++) y[j] = b[j];
      for (let i = 0; i < inSize; i++) {
        const xi = input[i];
        if (xi === 0) continue;
        const row = i * outSize;
        for (let j = 0; j < outSize; j++) y[j] += xi * w[row + j];
      }
      if (l < last) {
        if (this.activation === 'tanh') for (let j = 0; j < outSize; j++) y[j] = Math.tanh(y[j]);
        else for (let j = 0; j < outSize; j++) if (y[j] < 0) y[j] = 0;
      }
      input = y;
    }
    return input as Float32Array;
  }
}
