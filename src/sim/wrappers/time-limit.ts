/** Truncates an episode after `maxSteps` control steps (truncated, never terminated). */
import { Wrapper, type Env, type ResetOptions, type ResetResult, type StepResult } from '../env.js';

export class TimeLimit extends Wrapper {
  private t = 0;

  constructor(
    env: Env,
    readonly maxSteps: number,
  ) {
    super(env);
  }

  override reset(opts?: { seed?: number; options?: ResetOptions }): ResetResult {
    this.t = 0;
    return this.env.reset(opts);
  }

  override step(action: ArrayLike<number>): StepResult {
    const res = this.env.step(action);
    this.t++;
    if (this.t >= this.maxSteps && !res.terminated) res.truncated = true;
    return res;
  }
}
