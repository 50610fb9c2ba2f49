import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/sim/rng.js';

describe('Rng', () => {
  it('repeats a stream for the same seed and differs across seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 100 }, () => a.nextU32());
    expect(Array.from({ length: 100 }, () => b.nextU32())).toEqual(xs);
    expect(Array.from({ length: 100 }, () => c.nextU32())).not.toEqual(xs);
  });

  it('derives independent labelled streams without advancing the parent', () => {
    const a = new Rng(7);
    const f1 = a.fork('noise').next();
    const f2 = a.fork('noise').next();
    expect(f1).toBe(f2);
    expect(a.fork('latency').next()).not.toBe(f1);
    expect(Rng.derive(7, 'noise').next()).toBe(f1);
    expect(Rng.deriveSeed(1, 'x')).not.toBe(Rng.deriveSeed(2, 'x'));
  });

  it('draws uniform, integer and normal values with the right moments', () => {
    const r = new Rng(1);
    const n = 20000;
    let sum = 0;
    let sq = 0;
    let min = Infinity;
    let max = -Infinity;
    const counts = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      const u = r.uniform(2, 4);
      min = Math.min(min, u);
      max = Math.max(max, u);
      counts[r.int(0, 2)]++;
      const z = r.normal();
      sum += z;
      sq += z * z;
    }
    expect(min).toBeGreaterThanOrEqual(2);
    expect(max).toBeLessThan(4);
    for (const c of counts) expect(c / n).toBeCloseTo(1 / 3, 1);
    expect(sum / n).toBeCloseTo(0, 1);
    expect(sq / n).toBeCloseTo(1, 1);
  });

  it('refuses a non-finite seed', () => {
    expect(() => new Rng(NaN)).toThrow(/seed/);
  });
});
