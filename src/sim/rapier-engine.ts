/** Rapier as a PhysicsEngine: one Rapier world per episode, built by the task's `create`. */
import type { EpisodeWorld, PhysicsEngine } from './engine.js';
import { gravityVector, type PhysicsParams } from './physics-params.js';
import type { Scenario } from './scenario-schema.js';
import type { Rng } from './rng.js';
import type { TaskDef, TaskInstance } from './task.js';
import type { Rapier, World } from './rapier.js';
import { TASKS } from './tasks/index.js';

class RapierEpisode implements EpisodeWorld {
  constructor(
    readonly world: World,
    readonly instance: TaskInstance,
  ) {}
  step(): void {
    this.world.step();
  }
  snapshot(): Uint8Array {
    return this.world.takeSnapshot();
  }
  free(): void {
    this.instance.dispose?.();
    this.world.free();
  }
}

export class RapierEngine implements PhysicsEngine {
  readonly name = 'rapier' as const;
  constructor(readonly R: Rapier) {}

  private newWorld(sc: Scenario, params: PhysicsParams, dt: number): World {
    const world = new this.R.World(gravityVector(params));
    world.timestep = dt;
    world.numSolverIterations = sc.control.solver_iterations;
    return world;
  }

  create(sc: Scenario, params: PhysicsParams, rng: Rng, dt: number): RapierEpisode {
    const world = this.newWorld(sc, params, dt);
    try {
      return new RapierEpisode(world, (TASKS[sc.task] as TaskDef).create(this.R, world, sc, params, rng));
    } catch (e) {
      world.free();
      throw e;
    }
  }

  restore(sc: Scenario, params: PhysicsParams, snapshot: Uint8Array, taskState: unknown): RapierEpisode {
    const world = this.R.World.restoreSnapshot(snapshot);
    if (!world)
      throw new Error('env: the Rapier snapshot could not be restored (corrupt or from another Rapier version)');
    try {
      return new RapierEpisode(world, (TASKS[sc.task] as TaskDef).restore(this.R, world, sc, params, taskState));
    } catch (e) {
      world.free();
      throw e;
    }
  }
}

/** The Rapier world of an episode built by a RapierEngine (benchmarks and tests reach into it). */
export function rapierWorldOf(ep: EpisodeWorld | null): World {
  if (!(ep instanceof RapierEpisode)) throw new Error('env: no Rapier world (reset() first, on a Rapier env)');
  return ep.world;
}
