/** Actuation noise: gaussian noise on the normalised action, std drawn per episode. */
import { Wrapper, type Env, type ResetOptions, type ResetResult, type StepResult } from '../env.js';
import { Rng } from '../rng.js';
import { drawUniform, type RangeSource } from './ranges.js';

export class ActionNoise extends Wrapper {
  private rng = new Rng(0);
  private std = 0;
  private readonly noisy: Float32Array;

  constructor(
    env: Env,
    private readonly ranges: RangeSource,
  ) {
    super(env);
    this.noisy = new Float32Array(env.actionSpace.size);
  }

  override reset(opts: { seed?: number; options?: ResetOptions } = {}): ResetResult {
    const res = this.env.reset(opts);
    this.rng = Rng.derive(res.info.seed, 'action-noise');
    this.std = drawUniform(this.rng, this.ranges.range('action_noise'));
    res.info.randomization.action_noise = this.std;
    return res;
  }

  override step(action: ArrayLike<number>): StepResult {
    if (this.std === 0) return this.env.step(action);
    for (let i = 0; i < this.noisy.length; i++) {
      const v = action[i] + this.rng.normal(0, this.std);
      // Noise must not push a valid command out of [-1, 1] (that would trip the clamp warning).
      this.noisy[i] = v > 1 ? 1 : v < -1 ? -1 : v;
    }
    return this.env.step(this.noisy);
  }
}
