/**
 * CMA-ES on functions whose minimum is known (sphere, Rosenbrock, a rotated ill-conditioned
 * ellipsoid, a minimum on a bound), its determinism and resume through JSON, its stops, and the
 * errors bad bounds and damaged states give.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { Rng } from '../../src/sim/rng.js';
import { Cmaes, type CmaesState, minimize } from '../../src/sysid/cmaes.js';
import { symmetricEigen } from '../../src/sysid/eigen.js';

const box = (n: number, lo: number, hi: number): [number, number][] =>
  Array.from({ length: n }, () => [lo, hi] as [number, number]);

const sphere = (x: Float64Array): number => x.reduce((a, v) => a + v * v, 0);

function rosenbrock(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length - 1; i++) s += 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2;
  return s;
}

/** A seeded random rotation (Gram–Schmidt on normal draws), row-major. */
function randomRotation(n: number, rng: Rng): number[][] {
  const rows: number[][] = [];
  while (rows.length < n) {
    const v = Array.from({ length: n }, () => rng.normal());
    for (const r of rows) {
      const d = r.reduce((a, ri, i) => a + ri * v[i], 0);
      for (let i = 0; i < n; i++) v[i] -= d * r[i];
    }
    const norm = Math.hypot(...v);
    rows.push(v.map((x) => x / norm));
  }
  return rows;
}

/** Runs ask/tell for `generations` generations, returning every population asked. */
function run(es: Cmaes, f: (x: Float64Array) => number, generations: number): number[][][] {
  const trace: number[][][] = [];
  for (let g = 0; g < generations; g++) {
    const pop = es.ask();
    trace.push(pop.map((x) => [...x]));
    es.tell(pop.map(f));
  }
  return trace;
}

describe('CMA-ES on known functions', () => {
  it.each([2, 10])('minimises the sphere in %i dimensions to below 1e-8', (n) => {
    const r = minimize(sphere, box(n, -5, 5), { seed: 1, x0: new Array(n).fill(3) });
    expect(r.f).toBeLessThan(1e-8);
    expect(r.stop).not.toBe('budget');
    for (const v of r.x) expect(Math.abs(v)).toBeLessThan(1e-4);
  });

  it('minimises Rosenbrock in 4 dimensions to below 1e-6', () => {
    const r = minimize(rosenbrock, box(4, -2, 2), { seed: 2 });
    expect(r.f).toBeLessThan(1e-6);
    for (const v of r.x) expect(v).toBeCloseTo(1, 3);
  });

  it('learns a rotated ellipsoid with condition number 1e4 in 8 dimensions', () => {
    const n = 8;
    const rng = Rng.derive(7, 'ellipsoid');
    const R = randomRotation(n, rng);
    const xStar = Array.from({ length: n }, () => rng.uniform(-0.5, 1.5));
    const scale = Array.from({ length: n }, (_, i) => 1e4 ** (i / (n - 1)));
    const ellipsoid = (x: Float64Array): number => {
      let s = 0;
      for (let i = 0; i < n; i++) {
        const y = R[i].reduce((a, rij, j) => a + rij * (x[j] - xStar[j]), 0);
        s += scale[i] * y * y;
      }
      return s;
    };
    const r = minimize(ellipsoid, box(n, -1, 2), { seed: 3 });
    expect(r.f).toBeLessThan(1e-8);
    for (let i = 0; i < n; i++) expect(r.x[i]).toBeCloseTo(xStar[i], 3);
  });

  it('converges onto a bound when the minimum lies beyond it, evaluating only points inside', () => {
    // Unconstrained minimum at (-0.5, 0.3, 1.4, 0.3): the first coordinate ends on lo, the third on hi.
    const target = [-0.5, 0.3, 1.4, 0.3];
    let outside = 0;
    const f = (x: Float64Array): number => {
      if (x.some((v) => v < 0 || v > 1)) outside++;
      return x.reduce((a, v, i) => a + (v - target[i]) ** 2, 0);
    };
    const r = minimize(f, box(4, 0, 1), { seed: 4 });
    expect(outside).toBe(0);
    expect(r.x[0]).toBe(0);
    expect(r.x[2]).toBe(1);
    expect(r.x[1]).toBeCloseTo(0.3, 4);
    expect(r.x[3]).toBeCloseTo(0.3, 4);
    expect(r.f).toBeCloseTo(0.25 + 0.16, 8);
  });

  it('ranks NaN fitnesses last and still converges', () => {
    const f = (x: Float64Array): number => (x[0] > 2 ? Number.NaN : sphere(x));
    const r = minimize(f, box(3, -5, 5), { seed: 5 });
    expect(r.f).toBeLessThan(1e-8);
  });

  it('keeps to its evaluation budget', () => {
    const r = minimize(rosenbrock, box(4, -2, 2), { seed: 6, maxEvals: 100 });
    expect(r.stop).toBe('budget');
    expect(r.evaluations).toBeLessThanOrEqual(100);
    expect(r.evaluations).toBeGreaterThan(100 - 8);
  });
});

describe('CMA-ES runs are reproducible', () => {
  it('gives the same trajectory for the same seed and another for another seed', () => {
    const a = run(Cmaes.create(box(5, -2, 2), { seed: 11 }), rosenbrock, 40);
    const b = run(Cmaes.create(box(5, -2, 2), { seed: 11 }), rosenbrock, 40);
    const c = run(Cmaes.create(box(5, -2, 2), { seed: 12 }), rosenbrock, 40);
    expect(b).toEqual(a);
    expect(c[0]).not.toEqual(a[0]);
  });

  it('resumes bit-identically from a state that went through JSON mid-run', () => {
    const bounds = box(6, -2, 2);
    const whole = Cmaes.create(bounds, { seed: 21 });
    const expected = run(whole, rosenbrock, 60);

    const first = Cmaes.create(bounds, { seed: 21 });
    const head = run(first, rosenbrock, 25);
    const saved = JSON.stringify(first.state());
    const resumed = Cmaes.restore(JSON.parse(saved) as CmaesState);
    const tail = run(resumed, rosenbrock, 35);

    expect([...head, ...tail]).toEqual(expected);
    expect(resumed.state()).toEqual(whole.state());
    expect(resumed.best).toEqual(whole.best);
    expect(resumed.stop()).toBe(whole.stop());
  });

  it('asks the same population again after a restore between ask and tell', () => {
    const es = Cmaes.create(box(3, 0, 1), { seed: 31 });
    run(es, sphere, 5);
    const pop = es.ask();
    const again = Cmaes.restore(JSON.parse(JSON.stringify(es.state())) as CmaesState);
    expect(again.ask()).toEqual(pop);
  });

  it('stops on step size once every coordinate step is below tolX', () => {
    const r = minimize(sphere, box(2, -1, 1), { seed: 41, tolFun: 0, tolX: 1e-6 });
    expect(r.stop).toBe('tolx');
  });
});

describe('CMA-ES refuses bad input', () => {
  it('names the parameter whose bounds are empty or reversed', () => {
    expect(() => Cmaes.create([])).toThrow(InputError);
    expect(() => Cmaes.create([])).toThrow(/at least one parameter bound/);
    expect(() =>
      Cmaes.create([
        [0, 1],
        [2, 2],
      ]),
    ).toThrow(/parameter 1: expected lo below hi, got \[2, 2\]/);
    expect(() => Cmaes.create([[3, 1]], { names: ['friction'] })).toThrow(/parameter friction: expected lo below hi/);
    expect(() => Cmaes.create([[0, Number.NaN]])).toThrow(/expected finite bounds/);
    expect(() => minimize(sphere, [[1, 0]])).toThrow(InputError);
  });

  it('refuses a start outside the box, a tiny budget and a bad population size', () => {
    expect(() => Cmaes.create(box(2, 0, 1), { x0: [0.5, 2] })).toThrow(
      /parameter 1: expected x0 within \[0, 1\], got 2/,
    );
    expect(() => Cmaes.create(box(2, 0, 1), { maxEvals: 3 })).toThrow(/budget of at least one population/);
    expect(() => Cmaes.create(box(2, 0, 1), { popSize: 1 })).toThrow(/population size of at least 2/);
    expect(() => Cmaes.create(box(2, 0, 1), { sigma0: 0 })).toThrow(/sigma0 > 0/);
  });

  it('refuses tell() without ask() or with the wrong count', () => {
    const es = Cmaes.create(box(2, 0, 1));
    expect(() => es.tell([1, 2])).toThrow(/without a population/);
    const pop = es.ask();
    expect(() => es.tell(pop.slice(1).map(sphere))).toThrow(`expected ${pop.length} fitnesses`);
  });

  it('refuses a damaged state, naming the field', () => {
    const st = Cmaes.create(box(3, 0, 1)).state();
    expect(() => Cmaes.restore({ ...st, mean: [0.5, 0.5] })).toThrow(/cmaes state: mean: expected 3 finite numbers/);
    expect(() => Cmaes.restore({ ...st, version: 2 } as unknown as CmaesState)).toThrow(/version/);
    expect(() => Cmaes.restore({ ...st, sigma: -1 })).toThrow(InputError);
  });
});

describe('symmetric eigendecomposition', () => {
  it('reconstructs a random symmetric matrix from orthonormal eigenvectors', () => {
    const n = 12;
    const rng = new Rng(9);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = rng.normal();
    }
    const { values, vectors: v } = symmetricEigen(a, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let rec = 0;
        let dot = 0;
        for (let k = 0; k < n; k++) {
          rec += v[i * n + k] * values[k] * v[j * n + k];
          dot += v[k * n + i] * v[k * n + j];
        }
        expect(rec).toBeCloseTo(a[i * n + j], 12);
        expect(dot).toBeCloseTo(i === j ? 1 : 0, 12);
      }
    }
  });
});
