/**
 * Training on several engines at once (the idea of PolySim's multi-simulator randomization): each
 * episode runs in MuJoCo with probability `mujoco`, with contact settings drawn from their ranges,
 * else in Rapier. A policy trained so has met two engines' contact models, not one's scaled.
 * Which engine an episode ran in is recorded: a MuJoCo episode's snapshot is a MuJoCo snapshot.
 */
import type { EpisodeWorld, PhysicsEngine } from './engine.js';
import type { PhysicsParams } from './physics-params.js';
import type { Rapier } from './rapier.js';
import { RapierEngine } from './rapier-engine.js';
import type { Rng } from './rng.js';
import type { Scenario } from './scenario-schema.js';
import { MujocoEngine } from './mujoco/engine.js';
import type { Mujoco } from './mujoco/mujoco.js';
import { isMujocoSnapshot } from './mujoco/snapshot.js';
import { sampleMujocoSettings, type MujocoRanges } from './mujoco/settings-ranges.js';

export class MixedEngine implements PhysicsEngine {
  readonly name = 'mixed' as const;
  private readonly rapier: RapierEngine;

  constructor(
    R: Rapier,
    private readonly mj: Mujoco,
    private readonly ranges: MujocoRanges,
  ) {
    this.rapier = new RapierEngine(R);
  }

  create(sc: Scenario, params: PhysicsParams, rng: Rng, dt: number): EpisodeWorld {
    // Forked streams: the choice and the settings never shift the start state drawn from `rng`.
    if (rng.fork('engine').next() >= this.ranges.fraction) return this.rapier.create(sc, params, rng, dt);
    const settings = sampleMujocoSettings(this.ranges, rng.fork('mujoco-settings'));
    return new MujocoEngine(this.mj, settings, `${sc.name}:randomization.mujoco`).create(sc, params, rng, dt);
  }

  restore(sc: Scenario, params: PhysicsParams, snapshot: Uint8Array, taskState: unknown): EpisodeWorld {
    return isMujocoSnapshot(snapshot)
      ? new MujocoEngine(this.mj).restore(sc, params, snapshot, taskState)
      : this.rapier.restore(sc, params, snapshot, taskState);
  }
}
