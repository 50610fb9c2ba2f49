import { describe, expect, it } from 'vitest';
import { CounterEnv } from './counter-env.js';
import { fixedRanges } from '../../src/sim/wrappers/ranges.js';
import { TimeLimit } from '../../src/sim/wrappers/time-limit.js';
import { ActionLatency } from '../../src/sim/wrappers/action-latency.js';
import { ObservationDelay } from '../../src/sim/wrappers/observation-delay.js';
import { ObservationNoise } from '../../src/sim/wrappers/observation-noise.js';
import { ActionNoise } from '../../src/sim/wrappers/action-noise.js';
import { DomainRandomization } from '../../src/sim/wrappers/domain-randomization.js';
import { EpisodeSeeds } from '../../src/sim/wrappers/episode-seeds.js';

describe('TimeLimit', () => {
  it('truncates at maxSteps without terminating, and resets its counter', () => {
    const env = new TimeLimit(new CounterEnv(), 3);
    env.reset({ seed: 1 });
    expect(env.step([0, 0]).truncated).toBe(false);
    expect(env.step([0, 0]).truncated).toBe(false);
    const last = env.step([0, 0]);
    expect(last.truncated).toBe(true);
    expect(last.terminated).toBe(false);
    env.reset({ seed: 1 });
    expect(env.step([0, 0]).truncated).toBe(false);
  });
});

describe('ActionLatency', () => {
  it('applies the action sent k steps earlier, the safe action before that', () => {
    const inner = new CounterEnv();
    const env = new ActionLatency(inner, fixedRanges({ action_latency: [2, 2] }), [0.5, -0.5]);
    const r = env.reset({ seed: 3 });
    expect(r.info.randomization.action_latency).toBe(2);
    env.step([0.1, 0.1]);
    env.step([0.2, 0.2]);
    env.step([0.3, 0.3]);
    env.step([0.4, 0.4]);
    expect(inner.applied.map((a) => a[0])).toEqual([0.5, 0.5, expect.closeTo(0.1), expect.closeTo(0.2)]);
  });

  it('draws whole steps within the range', () => {
    const env = new ActionLatency(new CounterEnv(), fixedRanges({ action_latency: [0, 3] }), [0, 0]);
    const seen = new Set<number>();
    for (let s = 0; s < 200; s++) seen.add(env.reset({ seed: s }).info.randomization.action_latency as number);
    expect([...seen].sort()).toEqual([0, 1, 2, 3]);
  });
});

describe('ObservationDelay', () => {
  it('returns the observation from k steps earlier and keeps the true one in info', () => {
    const env = new ObservationDelay(new CounterEnv(), fixedRanges({ obs_delay: [1, 1] }));
    const r = env.reset({ seed: 0 });
    expect(r.obs[0]).toBe(0);
    const s1 = env.step([0, 0]);
    expect(s1.obs[0]).toBe(0);
    expect(s1.info.trueObs![0]).toBe(1);
    const s2 = env.step([0, 0]);
    expect(s2.obs[0]).toBe(1);
    expect(s2.info.trueObs![0]).toBe(2);
  });
});

describe('ObservationNoise', () => {
  it('adds per-step noise and a per-episode bias, reproducible by seed, within bounds', () => {
    const make = () =>
      new ObservationNoise(new CounterEnv(), fixedRanges({ obs_noise: [0.01, 0.01], obs_bias: [0.02, 0.02] }));
    const a = make();
    const b = make();
    const ra = a.reset({ seed: 9 });
    const rb = b.reset({ seed: 9 });
    expect(Array.from(ra.obs)).toEqual(Array.from(rb.obs));
    expect(ra.info.trueObs![0]).toBe(0);
    const steps = Array.from({ length: 40 }, () => a.step([0, 0]));
    const errs = steps.map((s) => s.obs[0] - s.info.trueObs![0]);
    expect(new Set(errs).size).toBeGreaterThan(30);
    for (const s of steps) expect(a.observationSpace.contains(s.obs)).toBe(true);
    const other = make().reset({ seed: 10 });
    expect(Array.from(other.obs)).not.toEqual(Array.from(ra.obs));
  });
});

describe('ActionNoise', () => {
  it('perturbs applied actions but keeps them in [-1, 1]', () => {
    const inner = new CounterEnv();
    const env = new ActionNoise(inner, fixedRanges({ action_noise: [0.3, 0.3] }));
    env.reset({ seed: 5 });
    for (let i = 0; i < 30; i++) env.step([0.95, -0.95]);
    const flat = inner.applied.flat();
    expect(flat.some((v) => v !== 0.95 && v !== -0.95)).toBe(true);
    for (const v of flat) expect(Math.abs(v)).toBeLessThanOrEqual(1);
  });
});

describe('DomainRandomization', () => {
  it('samples physics per episode from the ranges, reproducibly by seed', () => {
    const inner = new CounterEnv();
    const env = new DomainRandomization(inner, fixedRanges({ friction: [0.5, 1.5], gravity_tilt_deg: [0, 2] }));
    env.reset({ seed: 1 });
    const p1 = inner.lastPhysics!;
    expect(p1.friction).toBeGreaterThanOrEqual(0.5);
    expect(p1.friction).toBeLessThanOrEqual(1.5);
    expect(p1.gravity_tilt_dir).toBeDefined();
    expect(p1.link_mass).toBeUndefined();
    env.reset({ seed: 2 });
    expect(inner.lastPhysics!.friction).not.toBe(p1.friction);
    env.reset({ seed: 1 });
    expect(inner.lastPhysics).toEqual(p1);
  });
});

describe('EpisodeSeeds', () => {
  it('gives every reset an explicit seed that reproduces the episode', () => {
    const inner = new CounterEnv();
    const env = new EpisodeSeeds(inner);
    env.reset({ seed: 100 });
    const s1 = env.reset().info.seed;
    const s2 = env.reset().info.seed;
    expect(s1).not.toBe(s2);
    env.reset({ seed: 100 });
    expect(env.reset().info.seed).toBe(s1);
  });
});

describe('Wrapper.close', () => {
  it('forwards close to the inner env', () => {
    const inner = new CounterEnv();
    const env = new TimeLimit(inner, 5);
    env.close();
    expect(inner.closed).toBe(1);
  });
});
