/**
 * Sensor noise: gaussian noise per step plus a bias drawn once per episode, both as fractions of each
 * observation element's declared range; the result saturates at the range like a real sensor.
 */
import { Wrapper, type Env, type ResetOptions, type ResetResult, type StepResult } from '../env.js';
import { Rng } from '../rng.js';
import { drawUniform, type RangeSource } from './ranges.js';

export class ObservationNoise extends Wrapper {
  private rng = new Rng(0);
  private std = 0;
  private readonly bias: Float32Array;
  private readonly span: Float32Array;

  constructor(
    env: Env,
    private readonly ranges: RangeSource,
  ) {
    super(env);
    const { low, high } = env.observationSpace;
    this.span = new Float32Array(low.length);
    for (let i = 0; i < low.length; i++) this.span[i] = high[i] - low[i];
    this.bias = new Float32Array(low.length);
  }

  override reset(opts: { seed?: number; options?: ResetOptions } = {}): ResetResult {
    const res = this.env.reset(opts);
    this.rng = Rng.derive(res.info.seed, 'observation-noise');
    this.std = drawUniform(this.rng, this.ranges.range('obs_noise'));
    const biasStd = drawUniform(this.rng, this.ranges.range('obs_bias'));
    for (let i = 0; i < this.bias.length; i++)
      this.bias[i] = biasStd > 0 ? this.rng.normal(0, biasStd * this.span[i]) : 0;
    res.info.randomization.obs_noise = this.std;
    res.info.randomization.obs_bias = biasStd;
    res.info.trueObs ??= res.obs;
    return { obs: this.corrupt(res.obs), info: res.info };
  }

  override step(action: ArrayLike<number>): StepResult {
    const res = this.env.step(action);
    res.info.trueObs ??= res.obs;
    return { ...res, obs: this.corrupt(res.obs) };
  }

  private corrupt(clean: Float32Array): Float32Array {
    const out = new Float32Array(clean.length);
    const { low, high } = this.observationSpace;
    for (let i = 0; i < clean.length; i++) {
      let v = clean[i] + this.bias[i];
      if (this.std > 0) v += this.rng.normal(0, this.std * this.span[i]);
      out[i] = v < low[i] ? low[i] : v > high[i] ? high[i] : v;
    }
    return out;
  }
}
