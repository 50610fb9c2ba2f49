/**
 * The engine a simulated (training or evaluation) env runs on: Rapier, or Rapier and MuJoCo mixed
 * per episode when the scenario's `randomization.mujoco` block asks for it and the env randomizes.
 * Async because MuJoCo loads on first use; every thread that builds such envs calls it.
 */
import type { PhysicsEngine } from './engine.js';
import type { Rapier } from './rapier.js';
import type { Scenario } from './scenario-schema.js';
import type { MujocoRanges } from './mujoco/settings-ranges.js';

/** The scenario's mixed-engine ranges, or null when every episode runs in Rapier. */
export function mujocoRangesOf(sc: Scenario): MujocoRanges | null {
  const r = sc.randomization.mujoco;
  return r && r.fraction > 0 ? r : null;
}

export async function simEngine(R: Rapier, sc: Scenario, randomize: boolean): Promise<Rapier | PhysicsEngine> {
  const ranges = randomize ? mujocoRangesOf(sc) : null;
  if (!ranges) return R;
  const [{ loadMujoco }, { MixedEngine }] = await Promise.all([
    import('./mujoco/mujoco.js'),
    import('./mixed-engine.js'),
  ]);
  return new MixedEngine(R, await loadMujoco(), ranges);
}
