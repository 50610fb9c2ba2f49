/**
 * Where randomizing wrappers get their per-parameter ranges at each reset: fixed ranges from the
 * scenario, or an ADR controller whose ranges move with measured success.
 */
import type { Randomization } from '../scenario-schema.js';
import type { Rng } from '../rng.js';
import { flattenRandomization } from '../randomization.js';

/** A top-level `randomization:` key, or a nested knob's path (`actuators.shoulder.gain`: flattenRandomization). */
export type ParamName = string;

export interface RangeSource {
  /** The range to sample `name` from for the episode being reset, or undefined when it is not randomized. */
  range(name: ParamName): readonly [number, number] | undefined;
}

export function fixedRanges(r: Randomization): RangeSource {
  const flat = new Map(flattenRandomization(r));
  return { range: (name) => flat.get(name) };
}

/** Uniform draw from a range; the draw is taken even when the range is absent so streams stay aligned. */
export function drawUniform(rng: Rng, range: readonly [number, number] | undefined, nominal = 0): number {
  const u = rng.next();
  return range ? range[0] + (range[1] - range[0]) * u : nominal;
}

/** Whole-number draw in [floor(lo), floor(hi)] (latency and delay in control steps). */
export function drawSteps(rng: Rng, range: readonly [number, number] | undefined): number {
  const u = rng.next();
  if (!range) return 0;
  const lo = Math.max(0, Math.floor(range[0]));
  const hi = Math.max(lo, Math.floor(range[1]));
  return lo + Math.min(hi - lo, Math.floor(u * (hi - lo + 1)));
}
