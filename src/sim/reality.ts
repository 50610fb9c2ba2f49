/**
 * Reality profiles (`scenarios/reality/*.yaml`): the "real world" an emulated robot lives in,
 * in the randomization vocabulary of docs/scenarios.md — a fixed value or a per-episode range for
 * each parameter — plus control-timing jitter. Hidden from training: policies never see these files.
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

const Value = z.union([z.number(), z.tuple([z.number(), z.number()])]);
const GapSchema = z.strictObject(
  Object.fromEntries(Object.keys(RandomizationSchema.shape).map((k) => [k, Value.optional()])) as Record<
    keyof Randomization,
    z.ZodOptional<typeof Value>
  >,
);

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
  timing: z
    .strictObject({
      /** Standard deviation of the control period's jitter on the real robot, ms (used with --realtime). */
      jitter_ms: z.number().min(0).default(0),
    })
    .default({ jitter_ms: 0 }),
});

export type Reality = z.infer<typeof RealitySchema>;

export function parseReality(text: string, file: string): Reality {
  const raw = parseYamlText(text, file);
  const parsed = RealitySchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new InputError(formatIssue(file, parsed.error.issues[0]));
  if (parsed.data.mujoco && parsed.data.engine !== 'mujoco')
    throw new InputError(`${file}:mujoco: settings for the MuJoCo engine, but engine is "${parsed.data.engine}"`);
  for (const [k, v] of Object.entries(parsed.data.gap)) {
    if (Array.isArray(v) && v[0] > v[1])
      throw new InputError(`${file}:gap.${k}: expected [lo, hi] with lo <= hi, got ${JSON.stringify(v)}`);
  }
  return parsed.data;
}

export function loadReality(file: string): Reality {
  return parseReality(readInputFile(file, 'reality profile'), file);
}

/** The gap as randomization ranges (fixed values become [v, v]). */
export function realityRanges(reality: Reality): Randomization {
  const out: Randomization = {};
  for (const [k, v] of Object.entries(reality.gap) as [keyof Randomization, number | [number, number] | undefined][]) {
    if (v !== undefined) out[k] = typeof v === 'number' ? [v, v] : v;
  }
  return out;
}

/** Refuse a reality profile written for another scenario; `whose` says where `sc` came from. */
export function checkRealityFor(reality: Reality, sc: Scenario, file?: string, whose = 'the scenario in use'): void {
  if (reality.scenario !== sc.name) {
    throw new InputError(
      `${file ?? reality.name}:scenario: expected "${sc.name}" (${whose}), got "${reality.scenario}"`,
    );
  }
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
    { ...sc, randomization: realityRanges(reality) },
    { randomize: true, maxSteps: opts.maxSteps },
  );
}
