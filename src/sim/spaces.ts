import type { Rng } from './rng.js';

/** A box in R^n with per-dimension bounds (Gymnasium's Box, float32). */
export class Box {
  readonly low: Float32Array;
  readonly high: Float32Array;
  readonly shape: readonly [number];

  constructor(low: ArrayLike<number>, high: ArrayLike<number>) {
    if (low.length !== high.length) throw new Error(`Box: low has ${low.length} dims, high has ${high.length}`);
    this.low = Float32Array.from(low);
    this.high = Float32Array.from(high);
    for (let i = 0; i < this.low.length; i++) {
      if (!(this.low[i] <= this.high[i]))
        throw new Error(`Box: dim ${i} has low ${this.low[i]} > high ${this.high[i]}`);
    }
    this.shape = [this.low.length];
  }

  static uniform(n: number, lo: number, hi: number): Box {
    return new Box(new Array(n).fill(lo), new Array(n).fill(hi));
  }

  get size(): number {
    return this.shape[0];
  }

  /** True when x has the right length, is finite and lies within the bounds. */
  contains(x: ArrayLike<number>): boolean {
    if (x.length !== this.size) return false;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (!Number.isFinite(v) || v < this.low[i] || v > this.high[i]) return false;
    }
    return true;
  }

  /** A uniform sample; unbounded dimensions draw from a unit normal instead. */
  sample(rng: Rng): Float32Array {
    const out = new Float32Array(this.size);
    for (let i = 0; i < this.size; i++) {
      const lo = this.low[i];
      const hi = this.high[i];
      out[i] = Number.isFinite(lo) && Number.isFinite(hi) ? rng.uniform(lo, hi) : rng.normal();
    }
    return out;
  }
}
