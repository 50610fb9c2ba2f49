/**
 * The physics engine under a TaskEnv. Rapier is the simulator sim2real trains in; MuJoCo
 * (src/sim/mujoco/) is a second engine that reality profiles can name (`engine: mujoco`), so an
 * emulated robot can differ from training in the physics itself, not only in scaled parameters
 * (docs/design.md, "Engines"). TaskEnv does the rest identically for both.
 */
import type { PhysicsParams } from './physics-params.js';
import type { Rng } from './rng.js';
import type { Scenario } from './scenario-schema.js';
import type { TaskInstance } from './task.js';

/** `mixed`: a training engine that runs each episode in one of the others (mixed-engine.ts). */
export type EngineName = 'rapier' | 'mujoco' | 'mixed';

/** One episode's world in some engine, with the task instance bound to it. */
export interface EpisodeWorld {
  readonly instance: TaskInstance;
  /** One physics substep of the control step's `substeps`. */
  step(): void;
  /** Everything the engine needs to continue this episode (bytes; see EnvState). */
  snapshot(): Uint8Array;
  /** Free the engine's memory; the instance is disposed first. */
  free(): void;
}

export interface PhysicsEngine {
  readonly name: EngineName;
  /** Build a fresh episode: the task draws its start state from `rng` only. `dt` is the physics step. */
  create(sc: Scenario, params: PhysicsParams, rng: Rng, dt: number): EpisodeWorld;
  /** Continue from a snapshot taken by this engine, with the task state taken alongside it. */
  restore(sc: Scenario, params: PhysicsParams, snapshot: Uint8Array, taskState: unknown, dt: number): EpisodeWorld;
}
