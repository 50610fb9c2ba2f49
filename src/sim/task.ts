/**
 * What a task module provides. A task builds its bodies into a fresh Rapier world, turns physical
 * actions into actuator targets, observes, and scores. TaskEnv does the rest (docs/design.md, "Environment API").
 */
import type { Scenario } from './scenario-schema.js';
import type { PhysicsParams } from './physics-params.js';
import type { Rng } from './rng.js';
import type { Serialisable } from './env.js';
import type { Rapier, World } from './rapier.js';

/** A primitive for the Foxglove `/scene` channel (z up, metres). */
export interface ScenePrimitive {
  id: string;
  shape: 'cube' | 'cylinder' | 'sphere';
  position: [number, number, number];
  /** Quaternion x, y, z, w. */
  orientation: [number, number, number, number];
  /** Full extents (cube: edges; cylinder: diameter, diameter, height; sphere: diameter ×3). */
  size: [number, number, number];
  color: [number, number, number, number];
}

export interface Evaluation {
  /** Raw reward terms; TaskEnv weights them with the scenario's `reward` block. */
  terms: Record<string, number>;
  terminated: boolean;
  success: boolean;
}

export interface TaskInstance {
  /** Set actuator targets from a physical-unit action (already clamped to the contract). */
  applyAction(action: Float32Array): void;
  /** Called before each physics substep, for controllers running at the physics rate. */
  beforeSubstep?(dt: number): void;
  /** Called after each physics substep (contact checks, timers). */
  afterSubstep?(dt: number): void;
  /**
   * The physics moved on without applyAction: a control step began with no new command (the one in
   * effect keeps acting), or an observation was read between substeps. Redo the once-per-step work
   * applyAction does besides setting targets, and forget state read since the last substep. Only
   * sim-time delays call it (TaskEnv.planStep); tasks without such work or caches leave it out.
   */
  resync?(): void;
  /** Write the observation (contract order, float32) into `out`. */
  observe(out: Float32Array): void;
  /** Score the control step that just ended. */
  evaluate(): Evaluation;
  /** Privileged ground truth for scripted experts (never part of the observation). */
  privileged(): unknown;
  scene(): ScenePrimitive[];
  /** Everything beyond the Rapier snapshot needed to continue the episode after a restore. */
  taskState(): Serialisable;
  /** Free what the instance holds outside the world (wasm objects); called before its world is freed. */
  dispose?(): void;
}

export interface LayoutEntry {
  name: string;
  size: number;
}

export interface TaskDef<S extends Scenario = Scenario> {
  kind: S['task'];
  /** Names of the raw reward terms this task reports. */
  rewardTerms: readonly string[];
  obsLayout(sc: S): LayoutEntry[];
  actionLayout(sc: S): LayoutEntry[];
  /** Build the task's bodies into an empty world; draw start-state randomness from `rng` only. */
  create(R: Rapier, world: World, sc: S, params: PhysicsParams, rng: Rng): TaskInstance;
  /** Re-bind to a world restored from a snapshot taken from an instance of this task. */
  restore(R: Rapier, world: World, sc: S, params: PhysicsParams, state: unknown): TaskInstance;
}
