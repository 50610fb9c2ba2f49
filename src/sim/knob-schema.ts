/**
 * Schema pieces of the per-actuator, per-body, per-sensor and sim-time knobs (docs/scenarios.md), shared
 * by a scenario's `randomization:` block (every leaf a [lo, hi] range) and a reality profile (every
 * leaf a fixed value or a per-episode range). Which names exist depends on the task and the
 * contract: `knob-targets.ts` checks them where the scenario is known.
 */
import { z } from 'zod';

export interface LeafBounds {
  min?: number;
  max?: number;
}

function bounded(b: LeafBounds): z.ZodNumber {
  let n = z.number();
  if (b.min !== undefined) n = n.min(b.min);
  if (b.max !== undefined) n = n.max(b.max);
  return n;
}

/** [lo, hi] with lo <= hi, each within the bounds. */
export function rangeLeaf(b: LeafBounds = {}) {
  const n = bounded(b);
  return z.tuple([n, n]).refine(([lo, hi]) => lo <= hi, { message: 'expected [lo, hi] with lo <= hi' });
}

/** A fixed value or a [lo, hi] range (lo <= hi is checked after parsing, with the field's path: `rangeOrderIssue`). */
export function valueLeaf(b: LeafBounds = {}) {
  const n = bounded(b);
  return z.union([n, z.tuple([n, n])], { error: 'a number or [lo, hi]' });
}

const nonneg = { min: 0 };
const probability = { min: 0, max: 1 };

/** Per actuator (grasp: base_yaw … wrist_roll; navigate: left_wheel, right_wheel). */
export function actuatorKnobs<L extends z.ZodType>(leaf: (b?: LeafBounds) => L) {
  return z.strictObject({
    /** × motor gain (position gain of a joint, velocity gain of a wheel). */
    gain: leaf(nonneg).optional(),
    /** × viscous damping. */
    damping: leaf(nonneg).optional(),
    /** Coulomb friction as a fraction of the actuator's force/torque limit. */
    friction: leaf(nonneg).optional(),
    /** Backlash, rad (arm joints) or the speed command's dead band, m/s (wheels). */
    backlash: leaf(nonneg).optional(),
  });
}

/** Whole steps a dropout holds a reading: k, or [lo, hi] (k uniform per dropout). */
const DropoutSteps = z.union(
  [
    z.int().min(1),
    z
      .tuple([z.int().min(1), z.int().min(1)])
      .refine(([lo, hi]) => lo <= hi, { message: 'expected [lo, hi] with lo <= hi' }),
  ],
  { error: 'a whole number >= 1 or [lo, hi]' },
);

/** Sensor errors of one observation component, in the component's unit (docs/scenarios.md). */
export function sensorKnobs<L extends z.ZodType>(leaf: (b?: LeafBounds) => L) {
  return z.strictObject({
    /** Gaussian noise std per step and element. */
    noise: leaf(nonneg).optional(),
    /** Offset per element, drawn once per episode from this value or range. */
    bias: leaf().optional(),
    /** Random-walk std per step and element (the offset wanders within the episode). */
    drift: leaf(nonneg).optional(),
    /** Probability per step that the reading freezes at its last value for `dropout_steps` steps. */
    dropout: leaf(probability).optional(),
    dropout_steps: DropoutSteps.optional(),
    /** Probability per element and step of a reading replaced by a uniform value in the component's range. */
    outlier: leaf(probability).optional(),
    /** Step readings are rounded to (0: none). */
    quantization: leaf(nonneg).optional(),
  });
}

/** The physics knobs by name (grasp / navigate): a record each, names checked against the task later. */
export function physicsKnobBlocks<L extends z.ZodType>(leaf: (b?: LeafBounds) => L) {
  return {
    /** Per-actuator gain, damping, friction and backlash, by actuator name. */
    actuators: z.record(z.string(), actuatorKnobs(leaf)).optional(),
    /** × squeeze force limit of the gripper fingers, apart from the arm's motors (grasp). */
    gripper_force: leaf(nonneg).optional(),
    /** × friction of one body group, by name (grasp: table, cube, pads, links; navigate: floor, wheels, obstacles, walls). */
    body_friction: z.record(z.string(), leaf(nonneg)).optional(),
  };
}

/** Sensor errors by observation component name. */
export function sensorsBlock<L extends z.ZodType>(leaf: (b?: LeafBounds) => L) {
  return z.record(z.string(), sensorKnobs(leaf));
}

/** Sim-time delays, s: actuation and sensing delay, and the std of a per-step jitter added to each. */
export function timingKnobs<L extends z.ZodType>(leaf: (b?: LeafBounds) => L) {
  return {
    action_delay_s: leaf(nonneg).optional(),
    obs_delay_s: leaf(nonneg).optional(),
    jitter_s: leaf(nonneg).optional(),
  };
}

/** The first [lo, hi] with lo > hi anywhere in a parsed block, as `path: message`, or null. */
export function rangeOrderIssue(v: unknown, path: string): string | null {
  if (Array.isArray(v)) {
    return v.length === 2 && typeof v[0] === 'number' && v[0] > v[1]
      ? `${path}: expected [lo, hi] with lo <= hi, got ${JSON.stringify(v)}`
      : null;
  }
  if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const issue = rangeOrderIssue(x, `${path}.${k}`);
      if (issue) return issue;
    }
  }
  return null;
}
