/**
 * Running observation normaliser (Welford / Chan et al. parallel update): per-element mean and
 * variance, applied as clip((x − mean) / sqrt(var + eps), ±clip).
 */
export interface NormalizerState {
  mean: number[];
  var: number[];
  count: number;
  clip: number;
}

const EPS = 1e-8;

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v !== null && typeof v === 'object') return 'an object';
  return typeof v === 'number' ? String(v) : JSON.stringify(v);
}

/**
 * What is wrong with `s` as the statistics of a `size`-element normaliser (the field, relative to
 * the state, and "expected …, got …"), or null. A short mean gives finite garbage (apply() wraps
 * around it) and a negative variance gives NaN actions, so neither may get into a Normalizer.
 */
export function normalizerStateProblem(
  s: unknown,
  size: number,
  sizeWhy?: string,
): { field: string; text: string } | null {
  if (typeof s !== 'object' || s === null || Array.isArray(s))
    return { field: '', text: `expected { mean, var, count, clip }, got ${show(s)}` };
  const o = s as Record<string, unknown>;
  const why = sizeWhy ? ` (${sizeWhy})` : '';
  for (const [k, nonNegative] of [
    ['mean', false],
    ['var', true],
  ] as const) {
    const v = o[k];
    const what = nonNegative ? 'finite numbers ≥ 0' : 'finite numbers';
    if (!Array.isArray(v)) return { field: k, text: `expected ${size} ${what}${why}, got ${show(v)}` };
    if (v.length !== size) return { field: k, text: `expected ${size} ${what}${why}, got ${v.length}` };
    const i = v.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x) || (nonNegative && x < 0));
    if (i >= 0)
      return { field: `${k}.${i}`, text: `expected a finite number${nonNegative ? ' ≥ 0' : ''}, got ${show(v[i])}` };
  }
  if (typeof o.count !== 'number' || !Number.isFinite(o.count) || o.count < 0)
    return { field: 'count', text: `expected a finite number ≥ 0, got ${show(o.count)}` };
  if (typeof o.clip !== 'number' || !Number.isFinite(o.clip) || o.clip <= 0)
    return { field: 'clip', text: `expected a finite number > 0, got ${show(o.clip)}` };
  return null;
}

export class Normalizer {
  mean: Float64Array;
  var: Float64Array;
  count: number;
  readonly clip: number;

  constructor(
    readonly size: number,
    clip = 10,
  ) {
    this.mean = new Float64Array(size);
    this.var = new Float64Array(size).fill(1);
    this.count = 0;
    this.clip = clip;
  }

  /** Throws unless `s` is a usable state (of `size` elements when given: the contract's obs size). */
  static fromJSON(s: NormalizerState, size?: number): Normalizer {
    const problem = normalizerStateProblem(s, size ?? (Array.isArray(s?.mean) ? s.mean.length : 0));
    if (problem) throw new Error(`normaliser state${problem.field ? `.${problem.field}` : ''}: ${problem.text}`);
    const n = new Normalizer(s.mean.length, s.clip);
    n.mean = Float64Array.from(s.mean);
    n.var = Float64Array.from(s.var);
    n.count = s.count;
    return n;
  }

  toJSON(): NormalizerState {
    return { mean: Array.from(this.mean), var: Array.from(this.var), count: this.count, clip: this.clip };
  }

  clone(): Normalizer {
    return Normalizer.fromJSON(this.toJSON());
  }

  /** Fold in `n` rows of a row-major [n × size] batch. */
  update(batch: ArrayLike<number>, n: number): void {
    if (n <= 0) return;
    const d = this.size;
    if (batch.length < n * d) throw new Error(`normaliser: batch has ${batch.length} values, expected ${n} × ${d}`);
    for (let j = 0; j < d; j++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += batch[i * d + j];
      m /= n;
      let v = 0;
      for (let i = 0; i < n; i++) {
        const e = batch[i * d + j] - m;
        v += e * e;
      }
      v /= n;
      const total = this.count + n;
      const delta = m - this.mean[j];
      const newMean = this.mean[j] + (delta * n) / total;
      const m2 = (this.count > 0 ? this.var[j] * this.count : 0) + v * n + (delta * delta * this.count * n) / total;
      this.mean[j] = newMean;
      this.var[j] = m2 / total;
    }
    this.count += n;
  }

  /** Normalise one row (or [n × size] rows) into `out`. */
  apply(x: ArrayLike<number>, out: Float32Array = new Float32Array(x.length)): Float32Array {
    const d = this.size;
    const c = this.clip;
    for (let i = 0; i < x.length; i++) {
      const j = i % d;
      let v = (x[i] - this.mean[j]) / Math.sqrt(this.var[j] + EPS);
      if (v > c) v = c;
      else if (v < -c) v = -c;
      out[i] = v;
    }
    return out;
  }
}
