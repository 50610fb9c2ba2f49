/** Physics domain randomization: samples PhysicsParams per episode and builds the world with them. */
import { Wrapper, type Env, type ResetOptions, type ResetResult } from '../env.js';
import { Rng } from '../rng.js';
import { PHYSICS_RANDOMIZED, samplePhysics, samplePhysicsKnobs, type RangeMap } from '../randomization.js';
import type { Scenario } from '../scenario-schema.js';
import type { RangeSource } from './ranges.js';

export class DomainRandomization extends Wrapper {
  /** `task`: whose actuators and bodies the per-actuator and per-body knobs name (none without it). */
  constructor(
    env: Env,
    private readonly ranges: RangeSource,
    private readonly task?: Scenario['task'],
  ) {
    super(env);
  }

  override reset(opts: { seed?: number; options?: ResetOptions } = {}): ResetResult {
    const seed = opts.seed ?? 0;
    const map: RangeMap = {};
    for (const name of PHYSICS_RANDOMIZED) {
      const r = this.ranges.range(name);
      if (r) map[name] = r;
    }
    const physics = {
      ...samplePhysics(map, Rng.derive(seed, 'domain-randomization')),
      // Their own stream: the draws above stay what they were before these knobs existed.
      ...(this.task
        ? samplePhysicsKnobs(this.task, (n) => this.ranges.range(n), Rng.derive(seed, 'physics-knobs'))
        : {}),
      ...(opts.options?.physics ?? {}),
    };
    return this.env.reset({ seed: opts.seed, options: { ...opts.options, physics } });
  }
}
