/**
 * Sensing delay: the observation returned at step t is the one measured at t - k (k drawn per
 * episode); early in the episode the first observation is repeated.
 */
import { Wrapper, type Env, type ResetOptions, type ResetResult, type StepResult } from '../env.js';
import { Rng } from '../rng.js';
import { drawSteps, type RangeSource } from './ranges.js';

export class ObservationDelay extends Wrapper {
  private delay = 0;
  private history: Float32Array[] = [];

  constructor(
    env: Env,
    private readonly ranges: RangeSource,
  ) {
    super(env);
  }

  override reset(opts: { seed?: number; options?: ResetOptions } = {}): ResetResult {
    const res = this.env.reset(opts);
    this.delay = drawSteps(Rng.derive(res.info.seed, 'observation-delay'), this.ranges.range('obs_delay'));
    this.history = Array.from({ length: this.delay }, () => res.obs);
    res.info.randomization.obs_delay = this.delay;
    res.info.trueObs ??= res.obs;
    return res;
  }

  override step(action: ArrayLike<number>): StepResult {
    const res = this.env.step(action);
    if (this.delay === 0) return res;
    res.info.trueObs ??= res.obs;
    this.history.push(res.obs);
    return { ...res, obs: this.history.shift()! };
  }
}
