/** What a task provides to run in MuJoCo: its world as MJCF, and an instance bound to the compiled model. */
import type { Serialisable } from '../env.js';
import type { PhysicsParams } from '../physics-params.js';
import type { Rng } from '../rng.js';
import type { Scenario } from '../scenario-schema.js';
import type { TaskInstance } from '../task.js';
import type { MjData, MjModel, Mujoco } from './mujoco.js';
import type { MujocoSettings } from './settings.js';

export interface MujocoBuild {
  /** The episode's world as MJCF (header() from mjcf.ts first). */
  xml: string;
  /** Task state to bind with: what `taskState()` returns right after the start. */
  state: Serialisable;
}

export interface MujocoTaskDef<S extends Scenario = Scenario> {
  /**
   * One episode's world. The start state is drawn from `rng` in the same order as the Rapier task
   * draws it, so both engines start an episode of the same seed from the same state.
   */
  build(sc: S, params: PhysicsParams, rng: Rng, settings: MujocoSettings, dt: number): MujocoBuild;
  /**
   * An instance bound to a compiled model and its data: `fresh` right after build (the instance
   * puts the robot in its start state), false after a snapshot restore (data already holds it).
   */
  bind(
    mj: Mujoco,
    model: MjModel,
    data: MjData,
    sc: S,
    params: PhysicsParams,
    state: unknown,
    fresh: boolean,
  ): TaskInstance;
}
