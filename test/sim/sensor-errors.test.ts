/** Per-component sensor errors: each knob changes its component as documented and nothing else. */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRapier, type Rapier } from '../../src/sim/rapier.js';
import { loadScenario } from '../../src/sim/scenario-file.js';
import { makeEnv } from '../../src/sim/make-env.js';
import { offsetOf } from '../../src/sim/contract.js';
import { fixedRanges } from '../../src/sim/wrappers/ranges.js';
import { SensorErrors, sensorSpecs } from '../../src/sim/wrappers/sensor-errors.js';
import type { NavigateScenario, Randomization } from '../../src/sim/scenario-schema.js';
import type { Env, StepResult } from '../../src/sim/env.js';
import { CounterEnv } from './counter-env.js';

const nav = loadScenario('scenarios/navigate-obstacles.yaml') as NavigateScenario;
const LIDAR = offsetOf(nav.contract.obs, 'lidar');
const RAYS = nav.robot.lidar_rays;
const GOAL = offsetOf(nav.contract.obs, 'goal_dist');
const FORWARD = [0.6, 0.1];

let R: Rapier;
beforeAll(async () => {
  R = await loadRapier();
});

function withSensors(sensors: Randomization['sensors']): Env {
  return makeEnv(R, { ...nav, randomization: { sensors } }, { randomize: true });
}

function run(env: Env, seed: number, steps: number): StepResult[] {
  env.reset({ seed });
  const out: StepResult[] = [];
  for (let t = 0; t < steps; t++) {
    const s = env.step(FORWARD);
    out.push(s);
    if (s.terminated) break;
  }
  return out;
}

const lidar = (o: Float32Array) => Array.from(o.subarray(LIDAR, LIDAR + RAYS));
const rest = (o: Float32Array) => [...Array.from(o.subarray(0, LIDAR)), ...Array.from(o.subarray(LIDAR + RAYS))];

describe('sensor errors per component', () => {
  it('noise on the lidar leaves every other component exact', () => {
    const steps = run(withSensors({ lidar: { noise: [0.03, 0.03] } }), 4, 30);
    let moved = 0;
    for (const s of steps) {
      expect(rest(s.obs)).toEqual(rest(s.info.trueObs!));
      moved += lidar(s.obs).filter((v, i) => v !== lidar(s.info.trueObs!)[i]).length;
    }
    expect(moved).toBeGreaterThan(steps.length * RAYS * 0.9);
    // Its size is the std asked for, in metres (beams not saturated at the range's ends).
    const err = steps.flatMap((s) =>
      lidar(s.obs)
        .map((v, i) => v - lidar(s.info.trueObs!)[i])
        .filter((_, i) => lidar(s.info.trueObs!)[i] > 0.2 && lidar(s.info.trueObs!)[i] < 2.8),
    );
    const std = Math.sqrt(err.reduce((a, e) => a + e * e, 0) / err.length);
    expect(std).toBeGreaterThan(0.027);
    expect(std).toBeLessThan(0.033);
  });

  it('a bias is one offset per element for the whole episode, drawn within its range and recorded', () => {
    const env = withSensors({ goal_dist: { bias: [0.1, 0.2] } });
    const r = env.reset({ seed: 2 });
    const bias = (r.info.randomization.sensors as Record<string, { bias: number[] }>).goal_dist.bias[0];
    expect(bias).toBeGreaterThanOrEqual(0.1);
    expect(bias).toBeLessThanOrEqual(0.2);
    for (let t = 0; t < 10; t++) {
      const s = env.step(FORWARD);
      expect(s.obs[GOAL] - s.info.trueObs![GOAL]).toBeCloseTo(bias, 5);
    }
    const other = withSensors({ goal_dist: { bias: [0.1, 0.2] } }).reset({ seed: 3 });
    expect((other.info.randomization.sensors as Record<string, { bias: number[] }>).goal_dist.bias[0]).not.toBe(bias);
  });

  it('quantization rounds readings to its step', () => {
    for (const s of run(withSensors({ lidar: { quantization: [0.05, 0.05] } }), 4, 20)) {
      for (const v of lidar(s.obs)) expect(Math.abs(v / 0.05 - Math.round(v / 0.05))).toBeLessThan(1e-4);
      for (const [i, v] of lidar(s.obs).entries())
        expect(Math.abs(v - lidar(s.info.trueObs!)[i])).toBeLessThanOrEqual(0.025 + 1e-6);
    }
  });

  it('a dropout repeats the last reading for its number of steps, then reads again', () => {
    const env = withSensors({ lidar: { dropout: [0.2, 0.2], dropout_steps: [3, 3] } });
    const steps = run(env, 6, 120);
    const held = steps.map(
      (s, t) =>
        t > 0 &&
        lidar(s.obs).join() === lidar(steps[t - 1].obs).join() &&
        lidar(s.obs).join() !== lidar(s.info.trueObs!).join(),
    );
    // Holds come in runs of exactly 3 (two dropouts may follow one another: a multiple of 3).
    let run3 = 0;
    const runs: number[] = [];
    for (const h of [...held, false]) {
      if (h) run3++;
      else if (run3 > 0) runs.push(run3), (run3 = 0);
    }
    expect(runs.length).toBeGreaterThan(2);
    for (const n of runs) expect(n % 3).toBe(0);
    // Readings outside a dropout are the clean ones (no other knob set).
    for (const [t, s] of steps.entries()) if (!held[t]) expect(lidar(s.obs)).toEqual(lidar(s.info.trueObs!));
  });

  it('outliers replace single elements by values within the range', () => {
    const steps = run(withSensors({ lidar: { outlier: [0.05, 0.05] } }), 8, 60);
    const changed = steps.flatMap((s) => lidar(s.obs).filter((v, i) => v !== lidar(s.info.trueObs!)[i]));
    const n = steps.length * RAYS;
    expect(changed.length).toBeGreaterThan(0.02 * n);
    expect(changed.length).toBeLessThan(0.08 * n);
    for (const v of changed) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(3);
    }
  });

  it('drift is a random walk: its spread grows like the square root of time', () => {
    const contract = new CounterEnv().contract;
    const specs = sensorSpecs(contract, { step: { drift: [1, 1] } });
    const env = new SensorErrors(new CounterEnv(), fixedRanges({ sensors: { step: { drift: [1, 1] } } }), specs);
    const at = (t: number) => t;
    const sq = { 16: 0, 64: 0 } as Record<number, number>;
    const episodes = 300;
    for (let e = 0; e < episodes; e++) {
      env.reset({ seed: e });
      for (let t = 1; t <= 64; t++) {
        const s = env.step([0, 0]);
        if (t in sq) sq[t] += (s.obs[0] - at(t)) ** 2;
      }
    }
    const ratio = Math.sqrt(sq[64] / sq[16]);
    expect(ratio).toBeGreaterThan(1.75);
    expect(ratio).toBeLessThan(2.3);
    expect(Math.sqrt(sq[16] / episodes)).toBeGreaterThan(3.4);
    expect(Math.sqrt(sq[16] / episodes)).toBeLessThan(4.6);
  });

  it('draws per episode within the ranges, reproducibly by seed, and records them', () => {
    const env = withSensors({
      lidar: { noise: [0.01, 0.04], drift: [0, 0.002], dropout: [0, 0.1], outlier: [0, 0.02], quantization: [0, 0.01] },
    });
    for (let seed = 0; seed < 10; seed++) {
      const rec = (env.reset({ seed }).info.randomization.sensors as Record<string, Record<string, number>>).lidar;
      expect(rec.noise).toBeGreaterThanOrEqual(0.01);
      expect(rec.noise).toBeLessThanOrEqual(0.04);
      expect(rec.drift).toBeLessThanOrEqual(0.002);
      expect(rec.dropout).toBeLessThanOrEqual(0.1);
      expect(rec.outlier).toBeLessThanOrEqual(0.02);
      expect(rec.quantization).toBeLessThanOrEqual(0.01);
    }
    const a = run(env, 1, 15).map((s) => Array.from(s.obs));
    expect(run(env, 1, 15).map((s) => Array.from(s.obs))).toEqual(a);
  });
});
