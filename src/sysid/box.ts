/**
 * The box CMA-ES searches (cmaes.ts): each parameter's [lo, hi] mapped to [0, 1], so that one step
 * size suits parameters of any unit (a friction of 0.8 and a mass of 2 kg alike) and the initial
 * step is a fraction of every range.
 */
import { InputError } from '../errors.js';

export type Bounds = readonly (readonly [number, number])[];

/** Checks bounds and names; throws InputError naming the first bad parameter. */
export function checkBounds(bounds: Bounds, names?: readonly string[]): void {
  if (!Array.isArray(bounds) || bounds.length === 0) {
    throw new InputError('cmaes: expected at least one parameter bound [lo, hi], got none');
  }
  if (names !== undefined && names.length !== bounds.length) {
    throw new InputError(`cmaes: expected ${bounds.length} parameter names (one per bound), got ${names.length}`);
  }
  bounds.forEach((b, i) => {
    const label = `cmaes: parameter ${names?.[i] ?? i}`;
    if (!Array.isArray(b) || b.length !== 2) {
      throw new InputError(`${label}: expected bounds [lo, hi], got ${JSON.stringify(b)}`);
    }
    const [lo, hi] = b;
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
      throw new InputError(`${label}: expected finite bounds, got [${lo}, ${hi}]`);
    }
    if (!(lo < hi)) throw new InputError(`${label}: expected lo below hi, got [${lo}, ${hi}]`);
  });
}

/** A point of [0, 1]^n clamped into the box, in parameter units. */
export function toParams(u: Float64Array, lo: readonly number[], hi: readonly number[]): Float64Array {
  const x = new Float64Array(u.length);
  for (let i = 0; i < u.length; i++) {
    const c = Math.min(1, Math.max(0, u[i]));
    // The ends exactly, not lo + (hi - lo) * 1 rounded, so an optimum on a bound is the bound.
    x[i] = c === 0 ? lo[i] : c === 1 ? hi[i] : lo[i] + (hi[i] - lo[i]) * c;
  }
  return x;
}

/** A point in parameter units mapped to [0, 1]^n (not clamped). */
export function toUnit(x: ArrayLike<number>, lo: readonly number[], hi: readonly number[]): Float64Array {
  const u = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) u[i] = (x[i] - lo[i]) / (hi[i] - lo[i]);
  return u;
}

/** Squared distance from u to the unit box: how far the sampler stepped outside. */
export function outsideSq(u: Float64Array): number {
  let d = 0;
  for (const v of u) {
    const e = v < 0 ? -v : v > 1 ? v - 1 : 0;
    d += e * e;
  }
  return d;
}
