/**
 * A tiny deterministic Env for wrapper unit tests: obs = [step, last applied action..., seed % 1000].
 * It exercises the Env interface without physics so wrapper behaviour can be read off exactly.
 */
import { Box } from '../../src/sim/spaces.js';
import type { Contract } from '../../src/sim/contract.js';
import type { Env, ResetOptions, ResetResult, StepResult } from '../../src/sim/env.js';
import { nominalPhysics } from '../../src/sim/physics-params.js';

export class CounterEnv implements Env {
  readonly contract: Contract = {
    obs: [
      { name: 'step', size: 1, unit: '1', low: 0, high: 1000 },
      { name: 'last_action', size: 2, unit: '1', low: -1, high: 1 },
      { name: 'seed', size: 1, unit: '1', low: 0, high: 1000 },
    ],
    action: [{ name: 'a', size: 2, unit: '1', low: -1, high: 1 }],
  };
  readonly observationSpace = new Box([0, -1, -1, 0], [1000, 1, 1, 1000]);
  readonly actionSpace = Box.uniform(2, -1, 1);
  readonly controlHz = 10;
  t = 0;
  seed = 0;
  lastPhysics: ResetOptions['physics'] = undefined;
  closed = 0;
  applied: number[][] = [];
  get unwrapped(): Env {
    return this;
  }
  reset(opts: { seed?: number; options?: ResetOptions } = {}): ResetResult {
    this.t = 0;
    this.seed = opts.seed ?? 0;
    this.lastPhysics = opts.options?.physics;
    this.applied = [];
    return {
      obs: Float32Array.from([0, 0, 0, this.seed % 1000]),
      info: { seed: this.seed, physics: { ...nominalPhysics(), ...this.lastPhysics }, randomization: {} },
    };
  }
  step(action: ArrayLike<number>): StepResult {
    this.t++;
    const a = Array.from(action);
    this.applied.push(a);
    return {
      obs: Float32Array.from([this.t, a[0], a[1], this.seed % 1000]),
      reward: 1,
      terminated: this.t >= 50,
      truncated: false,
      info: { success: a[0] > 0.5, appliedAction: Float32Array.from(a), terms: {}, physicsSteps: 1 },
    };
  }
  close(): void {
    this.closed++;
  }
}
