/**
 * Actuation latency: the action applied at step t is the one sent at t - k (k control steps, drawn
 * per episode). Until k actions have been sent the robot applies the scenario's safe action.
 */
import { Wrapper, type Env, type ResetOptions, type ResetResult, type StepResult } from '../env.js';
import { Rng } from '../rng.js';
import { drawSteps, type RangeSource } from './ranges.js';

export class ActionLatency extends Wrapper {
  private latency = 0;
  private queue: Float32Array[] = [];

  constructor(
    env: Env,
    private readonly ranges: RangeSource,
    private readonly safeAction: readonly number[],
  ) {
    super(env);
  }

  override reset(opts: { seed?: number; options?: ResetOptions } = {}): ResetResult {
    const res = this.env.reset(opts);
    this.latency = drawSteps(Rng.derive(res.info.seed, 'action-latency'), this.ranges.range('action_latency'));
    this.queue = Array.from({ length: this.latency }, () => Float32Array.from(this.safeAction));
    res.info.randomization.action_latency = this.latency;
    return res;
  }

  override step(action: ArrayLike<number>): StepResult {
    if (this.latency === 0) return this.env.step(action);
    this.queue.push(Float32Array.from(action));
    return this.env.step(this.queue.shift()!);
  }
}
