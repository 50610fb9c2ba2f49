/**
 * Sampling per-episode domain-randomization values from a scenario's `randomization:` block.
 * Values missing from the block stay nominal.
 */
import type { Rng } from './rng.js';
import { ACTUATORS, FRICTION_BODIES, nominalPhysics, type PhysicsParams } from './physics-params.js';
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

export type RangeMap = Partial<Record<(typeof PHYSICS_RANDOMIZED)[number], readonly [number, number]>>;

/** A range by flat parameter name (see flattenRandomization), or undefined when not randomized. */
export type RangeOf = (name: string) => readonly [number, number] | undefined;

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

export const ACTUATOR_KNOBS = ['gain', 'damping', 'friction', 'backlash'] as const;
const KNOB_FIELD = {
  gain: 'actuator_gain',
  damping: 'actuator_damping',
  friction: 'actuator_friction',
  backlash: 'actuator_backlash',
} as const;
const KNOB_NOMINAL = { gain: 1, damping: 1, friction: 0, backlash: 0 } as const;

/** The sensor knobs that are sampled per episode (dropout_steps is a fixed setting, not a range). */
export const SENSOR_KNOBS = ['noise', 'bias', 'drift', 'dropout', 'outlier', 'quantization'] as const;

/**
 * The per-actuator, gripper and per-body physics knobs of one episode (PhysicsParams fields), from
 * ranges named `actuators.<name>.<knob>`, `gripper_force`, `body_friction.<body>`. Only knobs with a
 * range appear; a per-actuator list is nominal where its actuator has no range. One draw per possible
 * knob in a fixed order (the task's actuators and bodies), so adding a range shifts nothing else.
 */
export function samplePhysicsKnobs(task: keyof typeof ACTUATORS, range: RangeOf, rng: Rng): Partial<PhysicsParams> {
  const out: Partial<PhysicsParams> = {};
  const actuators = ACTUATORS[task];
  for (const knob of ACTUATOR_KNOBS) {
    let values: number[] | null = null;
    for (let i = 0; i < actuators.length; i++) {
      const r = range(`actuators.${actuators[i]}.${knob}`);
      const u = rng.next();
      if (!r) continue;
      values ??= actuators.map(() => KNOB_NOMINAL[knob]);
      values[i] = r[0] + (r[1] - r[0]) * u;
    }
    if (values) out[KNOB_FIELD[knob]] = values;
  }
  const g = range('gripper_force');
  const ug = rng.next();
  if (g) out.gripper_force = g[0] + (g[1] - g[0]) * ug;
  let bodies: Record<string, number> | null = null;
  for (const body of FRICTION_BODIES[task]) {
    const r = range(`body_friction.${body}`);
    const u = rng.next();
    if (!r) continue;
    bodies ??= {};
    bodies[body] = r[0] + (r[1] - r[0]) * u;
  }
  if (bodies) out.body_friction = bodies;
  return out;
}

/**
 * Every range of a randomization block under one flat name: the top-level entries by their key,
 * nested knobs by path (`actuators.shoulder.gain`, `body_friction.cube`, `sensors.lidar.noise`), in
 * the block's order. ADR widens each of them on its own; `dropout_steps` is a setting, not a range.
 */
export function flattenRandomization(r: Randomization): [string, readonly [number, number]][] {
  const out: [string, readonly [number, number]][] = [];
  const nested = (prefix: string, block: object | undefined, skip: readonly string[] = []) => {
    for (const [k, v] of Object.entries(block ?? {}))
      if (v !== undefined && !skip.includes(k)) out.push([`${prefix}.${k}`, v as [number, number]]);
  };
  for (const [key, v] of Object.entries(r)) {
    // The mixed-engine block picks an engine per episode; it is not a parameter range.
    if (v === undefined || key === 'mujoco') continue;
    if (key === 'actuators')
      for (const [name, knobs] of Object.entries(r.actuators ?? {})) nested(`actuators.${name}`, knobs);
    else if (key === 'body_friction') nested('body_friction', r.body_friction);
    else if (key === 'sensors')
      for (const [name, knobs] of Object.entries(r.sensors ?? {})) nested(`sensors.${name}`, knobs, ['dropout_steps']);
    else out.push([key, v as [number, number]]);
  }
  return out;
}

/** The nominal value of a flat parameter: what nominalPhysics() says (scales 1, the scenario's restitution), 1 for per-actuator gain and damping and per-body friction scales, 0 for the rest. */
export function nominalOf(name: string, restitution = 0): number {
  const nominal: Record<string, unknown> = { ...nominalPhysics(restitution) };
  const flat = nominal[name];
  if (typeof flat === 'number') return flat;
  if (/^actuators\.[^.]+\.(gain|damping)$/.test(name) || name.startsWith('body_friction.')) return 1;
  return 0;
}
