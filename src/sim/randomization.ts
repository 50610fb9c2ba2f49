/**
 * Sampling per-episode domain-randomization values from a scenario's `randomization:` block.
 * Values missing from the block stay nominal.
 */
import type { Rng } from './rng.js';
import type { PhysicsParams } from './physics-params.js';
import type { Randomization } from './scenario-schema.js';

export const PHYSICS_RANDOMIZED = [
  'friction',
  'restitution',
  'link_mass',
  'object_mass',
  'joint_damping',
  'motor_stiffness',
  'motor_damping',
  'motor_max_force',
  'gravity_tilt_deg',
  'object_size',
  'object_pose',
] as const;

export type RangeMap = Partial<Record<keyof Randomization, readonly [number, number]>>;

/**
 * Physics parameters for one episode: each range in `ranges` is sampled uniformly; the tilt
 * direction is uniform whenever a tilt range is given. Draw order is fixed, so the result depends
 * only on the generator's state.
 */
export function samplePhysics(ranges: RangeMap, rng: Rng): Partial<PhysicsParams> {
  const out: Partial<PhysicsParams> = {};
  for (const name of PHYSICS_RANDOMIZED) {
    const r = ranges[name];
    const u = rng.next(); // drawn even when unused so one range does not shift the others
    if (r) out[name] = r[0] + (r[1] - r[0]) * u;
  }
  const dir = rng.next();
  if (ranges.gravity_tilt_deg) out.gravity_tilt_dir = 2 * Math.PI * dir;
  return out;
}
