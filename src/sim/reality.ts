/**
 * Reality profiles (`scenarios/reality/*.yaml`): the "real world" an emulated robot lives in,
 * in the randomization vocabulary of docs/scenarios.md — a fixed value or a per-episode range for
 * each parameter, per-component sensor errors, sim-time delays and jitter, overrides of the robot
 * and world — on the engine it names. Hidden from training: policies never see these files.
 */
import { parseYamlText, readInputFile } from '../input-file.js';
import { z } from 'zod';
import { InputError } from '../errors.js';
import { RandomizationSchema, type Randomization, type Scenario } from './scenario-schema.js';
import type { Rapier } from './rapier.js';
import type { Env } from './env.js';
import { makeEnv } from './make-env.js';
import { formatIssue } from './scenario-file.js';
import type { PhysicsEngine } from './engine.js';
import { MujocoSettingsSchema, type MujocoSettings } from './mujoco/settings.js';
import { physicsKnobBlocks, rangeOrderIssue, sensorsBlock, timingKnobs, valueLeaf } from './knob-schema.js';
import { checkPhysicsKnobTargets, checkSensorTargets } from './knob-targets.js';
import { applyScenarioOverrides, checkOverrideBlocks } from './scenario-overrides.js';

/** `randomization:` keys that a profile gives elsewhere (`sensors:`, `timing:`) or as knob blocks. */
const NOT_FLAT = [
  'actuators',
  'gripper_force',
  'body_friction',
  'sensors',
  'action_delay_s',
  'obs_delay_s',
  'jitter_s',
  'mujoco',
] as const;
type FlatKey = Exclude<keyof Randomization, (typeof NOT_FLAT)[number]>;
const Value = z.union([z.number(), z.tuple([z.number(), z.number()])]);
const GapSchema = z.strictObject({
  ...(Object.fromEntries(
    Object.keys(RandomizationSchema.shape)
      .filter((k) => !(NOT_FLAT as readonly string[]).includes(k))
      .map((k) => [k, Value.optional()]),
  ) as Record<FlatKey, z.ZodOptional<typeof Value>>),
  ...physicsKnobBlocks(valueLeaf),
});

export const RealitySchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  /** The scenario (by name) this reality is the real counterpart of. */
  scenario: z.string().min(1),
  /** The physics engine of this "real" world: rapier (the simulator's own) or mujoco. */
  engine: z.enum(['rapier', 'mujoco']).default('rapier'),
  /** Solver and contact settings of the MuJoCo engine (engine: mujoco only). */
  mujoco: MujocoSettingsSchema.optional(),
  /** The reality gap: a fixed value or a [lo, hi] range per episode for each parameter. */
  gap: GapSchema,
  /** Sensor errors per observation component, in its unit. */
  sensors: sensorsBlock(valueLeaf).optional(),
  timing: z
    .strictObject({
      /**
       * Standard deviation of the control period's jitter, ms: the wall-clock schedule of `robot
       * emulate --realtime`, and (unless jitter_s is given) the sim-time jitter of both delays.
       */
      jitter_ms: z.number().min(0).default(0),
      ...timingKnobs(valueLeaf),
    })
    .default({ jitter_ms: 0 }),
  /** Deep-merged into the scenario's robot, world and control blocks (scenario-overrides.ts). */
  scenario_overrides: z.record(z.string(), z.unknown()).optional(),
});

export type Reality = z.infer<typeof RealitySchema>;

export function parseReality(text: string, file: string): Reality {
  const raw = parseYamlText(text, file);
  const parsed = RealitySchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new InputError(formatIssue(file, parsed.error.issues[0]));
  const r = parsed.data;
  if (r.mujoco && r.engine !== 'mujoco')
    throw new InputError(`${file}:mujoco: settings for the MuJoCo engine, but engine is "${r.engine}"`);
  const order =
    rangeOrderIssue(r.gap, `${file}:gap`) ??
    rangeOrderIssue(r.sensors, `${file}:sensors`) ??
    rangeOrderIssue(r.timing, `${file}:timing`);
  if (order) throw new InputError(order);
  if (r.timing.jitter_s !== undefined && r.timing.jitter_ms > 0)
    throw new InputError(`${file}:timing.jitter_s: expected jitter_s or jitter_ms, not both`);
  if (r.scenario_overrides) checkOverrideBlocks(r.scenario_overrides, `${file}:scenario_overrides`);
  const sign = scaleSignIssue(r.gap as Record<string, unknown>, `${file}:gap`);
  if (sign) throw new InputError(sign);
  return r;
}

/** Scales a world cannot be built with: a mass or size must stay positive, damping and friction not negative. */
const POSITIVE = ['link_mass', 'object_mass', 'object_size', 'motor_stiffness', 'motor_max_force', 'gripper_force'];
const NON_NEGATIVE = ['friction', 'joint_damping', 'motor_damping', 'restitution', 'gravity_tilt_deg', 'object_pose'];

export function scaleSignIssue(gap: Record<string, unknown>, where: string): string | null {
  for (const [k, v] of Object.entries(gap)) {
    const lo = typeof v === 'number' ? v : Array.isArray(v) ? Math.min(...(v as number[])) : null;
    if (lo === null) continue;
    if (POSITIVE.includes(k) && !(lo > 0)) return `${where}.${k}: expected a value > 0, got ${JSON.stringify(v)}`;
    if (NON_NEGATIVE.includes(k) && !(lo >= 0)) return `${where}.${k}: expected a value >= 0, got ${JSON.stringify(v)}`;
  }
  return null;
}

export function loadReality(file: string): Reality {
  return parseReality(readInputFile(file, 'reality profile'), file);
}

/** Every fixed value of a profile block as [v, v], ranges as they are (dropout_steps is a setting: kept). */
function asRanges(v: unknown, key = ''): unknown {
  if (typeof v === 'number') return key === 'dropout_steps' ? v : [v, v];
  if (Array.isArray(v) || v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asRanges(x, k)]));
}

/**
 * The profile as randomization ranges (fixed values become [v, v]): the gap, the sensor errors and
 * the sim-time delays; `timing.jitter_ms` becomes `jitter_s` when that is not given.
 */
export function realityRanges(reality: Reality): Randomization {
  const { jitter_ms, ...timing } = reality.timing;
  const out = asRanges({ ...reality.gap, ...(reality.sensors ? { sensors: reality.sensors } : {}), ...timing });
  const r = out as Randomization;
  if (timing.jitter_s === undefined && jitter_ms > 0) r.jitter_s = [jitter_ms / 1000, jitter_ms / 1000];
  return r;
}

/** Refuse a reality profile written for another scenario; `whose` says where `sc` came from. */
export function checkRealityFor(reality: Reality, sc: Scenario, file?: string, whose = 'the scenario in use'): void {
  const f = file ?? reality.name;
  if (reality.scenario !== sc.name) {
    throw new InputError(`${f}:scenario: expected "${sc.name}" (${whose}), got "${reality.scenario}"`);
  }
  checkPhysicsKnobTargets(reality.gap, sc.task, `${f}:gap`);
  checkSensorTargets(reality.sensors, sc.contract, `${f}:sensors`);
  realScenario(sc, reality, f);
}

/** The scenario as this reality's robot and world are (its `scenario_overrides:`). */
export function realScenario(sc: Scenario, reality: Reality, file?: string): Scenario {
  return applyScenarioOverrides(sc, reality.scenario_overrides, `${file ?? reality.name}:scenario_overrides`);
}

/** The MuJoCo settings of a reality (defaults where the profile gives none). */
export function mujocoSettingsOf(reality: Reality): MujocoSettings {
  return reality.mujoco ?? MujocoSettingsSchema.parse({});
}

/** The engine a reality's world runs in (loads MuJoCo on first use). */
export async function realityEngine(R: Rapier, reality: Reality, file?: string): Promise<Rapier | PhysicsEngine> {
  if (reality.engine === 'rapier') return R;
  const [{ loadMujoco }, { MujocoEngine }] = await Promise.all([
    import('./mujoco/mujoco.js'),
    import('./mujoco/engine.js'),
  ]);
  return new MujocoEngine(await loadMujoco(), mujocoSettingsOf(reality), file ?? reality.name);
}

/**
 * Build this reality's world once and drop it: a profile the engine cannot build (a model MuJoCo
 * refuses) fails here, in one line, before a command writes files or spends minutes training.
 */
export async function probeReality(R: Rapier, sc: Scenario, reality: Reality, file?: string): Promise<void> {
  const env = await makeRealEnv(R, sc, reality, { file });
  try {
    env.reset({ seed: 0 });
  } finally {
    env.close();
  }
}

/** The scenario's env as it behaves in this reality (for the emulated robot and `eval --reality`). */
export async function makeRealEnv(
  R: Rapier,
  sc: Scenario,
  reality: Reality,
  opts: { maxSteps?: number; file?: string } = {},
): Promise<Env> {
  checkRealityFor(reality, sc, opts.file);
  const engine = await realityEngine(R, reality, opts.file);
  return makeEnv(
    engine,
    { ...realScenario(sc, reality, opts.file), randomization: realityRanges(reality) },
    { randomize: true, maxSteps: opts.maxSteps },
  );
}
