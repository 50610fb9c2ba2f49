/**
 * Sensor errors per observation component (`sensors:`, docs/scenarios.md), in the component's own
 * unit: so a noisier lidar does not also put centimetres of noise on the goal distance, as the
 * global obs_noise (a fraction of every range) does. Per reading, in this order: the drift's random
 * walk moves; a dropout may start (the component repeats its last reading for k steps); otherwise
 * clean + per-episode bias + drift + gaussian noise, single elements replaced by outliers, rounded
 * to the quantization step and clipped to the contract's range. Components without an entry pass
 * through untouched; `trueObs` keeps the clean reading.
 */
import { Wrapper, type Env, type Json, type ResetOptions, type ResetResult, type StepResult } from '../env.js';
import { Rng } from '../rng.js';
import { offsetOf, type Contract } from '../contract.js';
import type { Randomization } from '../scenario-schema.js';
import { drawUniform, type RangeSource } from './ranges.js';

/** Where a configured component sits in the observation, and its fixed dropout length range. */
export interface SensorSpec {
  name: string;
  offset: number;
  size: number;
  dropoutSteps: readonly [number, number];
}

/** The components a `sensors:` block configures, in contract order (their draw order). */
export function sensorSpecs(contract: Contract, sensors: Randomization['sensors']): SensorSpec[] {
  return contract.obs
    .filter((c) => sensors?.[c.name] !== undefined)
    .map((c) => {
      const k = sensors![c.name].dropout_steps ?? 1;
      return {
        name: c.name,
        offset: offsetOf(contract.obs, c.name),
        size: c.size,
        dropoutSteps: typeof k === 'number' ? [k, k] : k,
      };
    });
}

interface SensorState {
  spec: SensorSpec;
  noise: number;
  bias: Float64Array;
  drift: number;
  dropout: number;
  outlier: number;
  quantization: number;
  walk: Float64Array;
  /** Steps the current dropout still holds the last reading. */
  holding: number;
  last: Float32Array;
}

export class SensorErrors extends Wrapper {
  private rng = new Rng(0);
  private states: SensorState[] = [];

  constructor(
    env: Env,
    private readonly ranges: RangeSource,
    private readonly specs: readonly SensorSpec[],
  ) {
    super(env);
  }

  override reset(opts: { seed?: number; options?: ResetOptions } = {}): ResetResult {
    const res = this.env.reset(opts);
    this.rng = Rng.derive(res.info.seed, 'sensors');
    const record: Record<string, Json> = {};
    this.states = this.specs.map((spec) => {
      const range = (knob: string) => this.ranges.range(`sensors.${spec.name}.${knob}`);
      const st: SensorState = {
        spec,
        noise: drawUniform(this.rng, range('noise')),
        drift: drawUniform(this.rng, range('drift')),
        dropout: drawUniform(this.rng, range('dropout')),
        outlier: drawUniform(this.rng, range('outlier')),
        quantization: drawUniform(this.rng, range('quantization')),
        bias: new Float64Array(spec.size),
        walk: new Float64Array(spec.size),
        holding: 0,
        last: new Float32Array(spec.size),
      };
      const bias = range('bias');
      for (let i = 0; i < spec.size; i++) st.bias[i] = drawUniform(this.rng, bias);
      record[spec.name] = {
        noise: st.noise,
        bias: Array.from(st.bias),
        drift: st.drift,
        dropout: st.dropout,
        dropout_steps: [...spec.dropoutSteps],
        outlier: st.outlier,
        quantization: st.quantization,
      };
      return st;
    });
    res.info.randomization.sensors = record;
    res.info.trueObs ??= res.obs;
    return { obs: this.read(res.obs, true), info: res.info };
  }

  override step(action: ArrayLike<number>): StepResult {
    const res = this.env.step(action);
    res.info.trueObs ??= res.obs;
    return { ...res, obs: this.read(res.obs, false) };
  }

  private read(clean: Float32Array, first: boolean): Float32Array {
    const out = Float32Array.from(clean);
    const { low, high } = this.observationSpace;
    const rng = this.rng;
    for (const st of this.states) {
      const { offset, size, dropoutSteps } = st.spec;
      if (st.drift > 0 && !first) for (let i = 0; i < size; i++) st.walk[i] += rng.normal(0, st.drift);
      if (st.holding === 0 && st.dropout > 0 && !first && rng.next() < st.dropout)
        st.holding = rng.int(dropoutSteps[0], dropoutSteps[1]);
      if (st.holding > 0) {
        st.holding--;
        out.set(st.last, offset);
        continue;
      }
      for (let i = 0; i < size; i++) {
        const j = offset + i;
        let v = clean[j] + st.bias[i] + st.walk[i];
        if (st.noise > 0) v += rng.normal(0, st.noise);
        if (st.outlier > 0 && rng.next() < st.outlier) v = low[j] + (high[j] - low[j]) * rng.next();
        if (st.quantization > 0) v = Math.round(v / st.quantization) * st.quantization;
        v = v < low[j] ? low[j] : v > high[j] ? high[j] : v;
        out[j] = v;
        st.last[i] = v;
      }
    }
    return out;
  }
}
