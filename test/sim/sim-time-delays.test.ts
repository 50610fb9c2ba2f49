/**
 * Sim-time delays on real grasp worlds. The reference for "acts from half-way through a step" is the
 * same scenario at twice the control rate with half the substeps (the same physics step): a command
 * applied there at a half-step boundary is what a fractional delay must reproduce bit for bit (grasp's
 * motors run inside Rapier and reading the state does not touch the physics).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRapier, type Rapier } from '../../src/sim/rapier.js';
import { loadScenario } from '../../src/sim/scenario-file.js';
import { TaskEnv } from '../../src/sim/task-env.js';
import { SimTimeDelays } from '../../src/sim/wrappers/sim-time-delays.js';
import { fixedRanges } from '../../src/sim/wrappers/ranges.js';
import { makeEnv } from '../../src/sim/make-env.js';
import type { GraspScenario, Randomization } from '../../src/sim/scenario-schema.js';

const grasp = loadScenario('scenarios/grasp-cube.yaml') as GraspScenario;
const T = 1 / grasp.control.rate_hz;
const S = grasp.control.substeps;
/** The same world stepped at twice the rate: one of its steps is half of ours. */
const halfSteps: GraspScenario = {
  ...grasp,
  control: { ...grasp.control, rate_hz: 2 * grasp.control.rate_hz, substeps: S / 2 },
};
const SEED = 11;
/** Moves the TCP and closes the gripper (normalised; float32, as commands travel). */
const MOVE = Float32Array.from([0.8, -0.5, -0.6, 0.4, -0.9]);
const HOLD = new Float32Array(5);

let R: Rapier;
beforeAll(async () => {
  R = await loadRapier();
});

function delayed(ranges: Randomization): SimTimeDelays {
  const env = new SimTimeDelays(new TaskEnv(R, grasp), fixedRanges(ranges), grasp.safe_action);
  env.reset({ seed: SEED });
  return env;
}

/**
 * Observations of the half-step world after each of its steps: MOVE sent at half-steps `moves`, and
 * in between no new command at all (re-applying a zero delta is not quite a no-op in grasp: its
 * workspace clamp can move a clamped target by an ulp).
 */
function halfStepRun(moves: (k: number) => boolean, n: number): Float32Array[] {
  const env = new TaskEnv(R, halfSteps);
  env.reset({ seed: SEED });
  const out = Array.from({ length: n }, (_, k) => {
    if (k === 0) return env.step(moves(k) ? MOVE : HOLD).obs;
    if (!moves(k)) env.planStep({ switchAt: null, earlier: [], capture: [] });
    return env.step(moves(k) ? MOVE : HOLD).obs;
  });
  env.close();
  return out;
}

describe('sim-time action delay', () => {
  it('the half-step world starts where ours does', () => {
    const a = new TaskEnv(R, grasp);
    const b = new TaskEnv(R, halfSteps);
    expect(Array.from(a.reset({ seed: SEED }).obs)).toEqual(Array.from(b.reset({ seed: SEED }).obs));
    a.close();
    b.close();
  });

  it.each([
    [1, 2, [0, 0, 0, 0]],
    [1.5, 3, [0, S / 2, S / 2, S / 2]],
    [2, 4, [0, null, 0, 0]],
  ])('a %s-step delay applies the command from half-step %i on', (steps, half, switches) => {
    const env = delayed({ action_delay_s: [steps * T, steps * T] });
    const ours = [MOVE, HOLD, HOLD, HOLD].map((a) => env.step(a));
    const ref = halfStepRun((k) => k === half, 8);
    for (let t = 0; t < ours.length; t++)
      expect(Array.from(ours[t].obs), `step ${t}`).toEqual(Array.from(ref[2 * t + 1]));
    // Step 0 starts on the safe action; then each command takes over where its delay falls (null: none arrives).
    expect(ours.map((s) => (s.info.simTime as { actionAt: number | null }).actionAt)).toEqual(switches);
    env.close();
  });

  it('a 1.5-step delay lies strictly between 1 and 2 steps', () => {
    const final = (steps: number) => {
      const env = delayed({ action_delay_s: [steps * T, steps * T] });
      const obs = [MOVE, HOLD, HOLD].map((a) => env.step(a).obs);
      env.close();
      return Array.from(obs[2]);
    };
    const [one, mid, two] = [final(1), final(1.5), final(2)];
    expect(mid).not.toEqual(one);
    expect(mid).not.toEqual(two);
  });

  it('whole steps from action_latency and seconds from action_delay_s add up', () => {
    const a = delayed({ action_latency: [1, 1], action_delay_s: [0.5 * T, 0.5 * T] });
    const b = delayed({ action_delay_s: [1.5 * T, 1.5 * T] });
    for (const x of [MOVE, HOLD, MOVE, HOLD]) expect(Array.from(a.step(x).obs)).toEqual(Array.from(b.step(x).obs));
  });

  it('jitter moves the switch substep from step to step, reproducibly by seed', () => {
    const switches = (seed: number) => {
      const env = new SimTimeDelays(
        new TaskEnv(R, grasp),
        fixedRanges({ action_delay_s: [0.5 * T, 0.5 * T], jitter_s: [0.2 * T, 0.2 * T] }),
        grasp.safe_action,
      );
      env.reset({ seed });
      const at = Array.from(
        { length: 30 },
        () => (env.step(MOVE).info.simTime as { actionAt: number | null }).actionAt,
      );
      env.close();
      return at;
    };
    const a = switches(3);
    expect(new Set(a).size).toBeGreaterThan(2);
    expect(switches(3)).toEqual(a);
    expect(switches(4)).not.toEqual(a);
    // Without jitter every step switches at the same substep.
    const env = delayed({ action_delay_s: [0.5 * T, 0.5 * T] });
    const steady = Array.from({ length: 10 }, () => (env.step(MOVE).info.simTime as { actionAt: number }).actionAt);
    expect(new Set(steady.slice(1))).toEqual(new Set([S / 2]));
  });
});

describe('sim-time sensing delay', () => {
  it('a 1.5-step delay returns the state sensed half-way through the step before', () => {
    const env = delayed({ obs_delay_s: [1.5 * T, 1.5 * T] });
    // Our MOVE every step = the half-step world's MOVE every other step (grasp actions are per-step deltas).
    const ref = halfStepRun((k) => k % 2 === 0, 12);
    const first = Array.from(env.unwrapped.reset({ seed: SEED }).obs);
    env.reset({ seed: SEED });
    for (let t = 0; t < 6; t++) {
      const s = env.step(MOVE);
      // After step t (time (t+1)T) the reading is from (t − 0.5)T: half-step 2t − 1 ends then.
      const want = 2 * t - 2 < 0 ? first : Array.from(ref[2 * t - 2]);
      expect(Array.from(s.obs), `step ${t}`).toEqual(want);
      expect(Array.from(s.info.trueObs!), `step ${t}`).toEqual(Array.from(ref[2 * t + 1]));
    }
    env.close();
  });

  it('a reading is never older than the one before it, even with jitter', () => {
    const env = new SimTimeDelays(
      new TaskEnv(R, grasp),
      fixedRanges({ obs_delay_s: [T, T], jitter_s: [0.5 * T, 0.5 * T] }),
      grasp.safe_action,
    );
    env.reset({ seed: 5 });
    let sensedAt = 0;
    const ages = new Set<number>();
    for (let t = 0; t < 40; t++) {
      const age = (env.step(HOLD).info.simTime as { obsAge: number }).obsAge;
      ages.add(age);
      const at = (t + 1) * S - age;
      expect(at).toBeGreaterThanOrEqual(sensedAt);
      sensedAt = at;
    }
    expect(ages.size).toBeGreaterThan(3);
    env.close();
  });
});

describe('sim-time delays in makeEnv', () => {
  it('are drawn per episode from randomization ranges, recorded, and replace the whole-step wrappers', () => {
    const sc = {
      ...grasp,
      randomization: {
        action_latency: [1, 1],
        action_delay_s: [0, 0.15],
        obs_delay_s: [0.02, 0.04],
        jitter_s: [0, 0.01],
      },
    } as GraspScenario;
    const env = makeEnv(R, sc, { randomize: true });
    for (let seed = 0; seed < 20; seed++) {
      const r = env.reset({ seed }).info.randomization;
      expect(r.action_latency).toBe(1);
      expect(r.action_delay_s).toBeGreaterThanOrEqual(0);
      expect(r.action_delay_s).toBeLessThanOrEqual(0.15);
      expect(r.obs_delay_s).toBeGreaterThanOrEqual(0.02);
      expect(r.obs_delay_s).toBeLessThanOrEqual(0.04);
      expect(r.jitter_s).toBeGreaterThanOrEqual(0);
      expect(r.jitter_s).toBeLessThanOrEqual(0.01);
    }
    const s = env.step(HOLD);
    expect(s.info.simTime).toBeDefined();
    expect(s.info.captured).toBeUndefined();
    env.close();
  });
});
