/** The running normaliser against a naive two-pass mean/variance over all the rows it has seen. */
import { describe, expect, it } from 'vitest';
import { Normalizer } from '../../src/policy/models/normalizer.js';
import { Rng } from '../../src/sim/rng.js';

/** Population mean and variance per column of row-major [n × d] data, two passes in float64. */
function twoPass(rows: number[][], d: number): { mean: number[]; var: number[] } {
  const n = rows.length;
  const mean = new Array<number>(d).fill(0);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j] += r[j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const v = new Array<number>(d).fill(0);
  for (const r of rows) for (let j = 0; j < d; j++) v[j] += (r[j] - mean[j]) ** 2;
  for (let j = 0; j < d; j++) v[j] /= n;
  return { mean, var: v };
}

/** Columns with very different offsets and scales (one at 1000 ± 0.01: cancellation-prone). */
function batch(rng: Rng, n: number): { flat: Float32Array; rows: number[][] } {
  const offsets = [0, 5, -3, 1000, 0.001];
  const scales = [1, 0.1, 20, 0.01, 1e-4];
  const flat = new Float32Array(n * offsets.length);
  for (let i = 0; i < flat.length; i++) flat[i] = offsets[i % 5] + scales[i % 5] * rng.normal();
  const rows = Array.from({ length: n }, (_, i) => Array.from(flat.subarray(i * 5, (i + 1) * 5)));
  return { flat, rows };
}

function expectClose(actual: ArrayLike<number>, expected: number[], rel: number): void {
  for (let j = 0; j < expected.length; j++) {
    expect(Math.abs(actual[j] - expected[j]), `element ${j}: ${actual[j]} vs ${expected[j]}`).toBeLessThanOrEqual(
      rel * Math.max(Math.abs(expected[j]), 1e-12),
    );
  }
}

describe('Normalizer', () => {
  it('matches a two-pass mean and variance over the concatenated batches, for any split', () => {
    const rng = new Rng(11);
    for (const sizes of [[1], [1, 1, 1, 1], [7, 1, 300, 2], [1000], [3, 997, 1, 50, 50]]) {
      const norm = new Normalizer(5);
      const all: number[][] = [];
      for (const n of sizes) {
        const b = batch(rng, n);
        norm.update(b.flat, n);
        all.push(...b.rows);
      }
      const ref = twoPass(all, 5);
      expect(norm.count).toBe(all.length);
      expectClose(norm.mean, ref.mean, 1e-10);
      if (all.length > 1) expectClose(norm.var, ref.var, 1e-7);
      else expect(Array.from(norm.var)).toEqual([0, 0, 0, 0, 0]);
    }
  });

  it('ignores empty updates and refuses a short batch', () => {
    const norm = new Normalizer(3);
    norm.update(new Float32Array(0), 0);
    expect(norm.count).toBe(0);
    expect(Array.from(norm.var)).toEqual([1, 1, 1]);
    expect(() => norm.update(new Float32Array(5), 2)).toThrow(/batch has 5 values, expected 2 × 3/);
  });

  it('applies (x − mean) / sqrt(var + eps), per row of a batch, clipped to ±clip', () => {
    const norm = new Normalizer(2, 3);
    norm.update(Float32Array.from([0, 10, 2, 30]), 2); // mean [1, 20], var [1, 100]
    expect(Array.from(norm.mean)).toEqual([1, 20]);
    expect(Array.from(norm.var)).toEqual([1, 100]);
    const out = norm.apply(Float32Array.from([2, 20, 1, 0, 100, -1000]));
    const want = [1 / Math.sqrt(1 + 1e-8), 0, 0, -20 / Math.sqrt(100 + 1e-8), 3, -3];
    for (let i = 0; i < want.length; i++) expect(out[i]).toBeCloseTo(want[i], 6);
    expect(out[4]).toBe(3);
    expect(out[5]).toBe(-3);
    // A constant feature (var 0) saturates at the clip instead of producing Infinity or NaN.
    const c = new Normalizer(1, 5);
    c.update(Float32Array.from([4, 4, 4]), 3);
    expect(Array.from(c.apply([4, 4.1, 3.9]))).toEqual([0, 5, -5]);
  });

  it('survives a JSON round trip bit for bit', () => {
    const rng = new Rng(3);
    const norm = new Normalizer(5, 7);
    for (const n of [13, 1, 200]) norm.update(batch(rng, n).flat, n);
    const back = Normalizer.fromJSON(JSON.parse(JSON.stringify(norm.toJSON())));
    expect(back.size).toBe(5);
    expect(back.clip).toBe(7);
    expect(back.count).toBe(norm.count);
    expect(Array.from(back.mean)).toEqual(Array.from(norm.mean));
    expect(Array.from(back.var)).toEqual(Array.from(norm.var));
    const x = batch(rng, 4).flat;
    expect(Array.from(back.apply(x))).toEqual(Array.from(norm.apply(x)));
    // Updating after the round trip continues the same statistics.
    const more = batch(rng, 9).flat;
    back.update(more, 9);
    norm.update(more, 9);
    expect(Array.from(back.mean)).toEqual(Array.from(norm.mean));
    const clone = norm.clone();
    clone.update(more, 9);
    expect(clone.count).toBe(norm.count + 9);
  });
});
