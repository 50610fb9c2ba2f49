import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadRapier, type Rapier } from '../../src/sim/rapier.js';
import { loadScenario } from '../../src/sim/scenario-file.js';
import { TaskEnv } from '../../src/sim/task-env.js';
import { graspExpert } from '../../src/sim/tasks/grasp/expert.js';
import { samplePhysics } from '../../src/sim/randomization.js';
import { Rng } from '../../src/sim/rng.js';
import { offsetOf } from '../../src/sim/contract.js';
import { graspTask } from '../../src/sim/tasks/grasp/task.js';
import type { GraspPrivileged } from '../../src/sim/tasks/grasp/instance.js';
import type { GraspScenario } from '../../src/sim/scenario-schema.js';

const FILE = 'scenarios/grasp-cube.yaml';
let R: Rapier;
let sc: GraspScenario;
const open: TaskEnv[] = [];

function makeEnv(): TaskEnv {
  const env = new TaskEnv(R, sc);
  env.onWarn = () => {};
  open.push(env);
  return env;
}

function bytes(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
}

/** Run the expert for one episode; returns success and every observation seen. */
function runExpert(env: TaskEnv, seed: number, physics?: ReturnType<typeof samplePhysics>) {
  const expert = graspExpert(sc);
  const first = env.reset({ seed, options: physics ? { physics } : {} });
  expert.reset();
  const observations = [first.obs];
  for (let t = 0; t < sc.episode.max_steps; t++) {
    const r = env.step(expert.act(env.privileged()));
    observations.push(r.obs);
    if (r.terminated) return { success: r.info.success, steps: t + 1, observations };
  }
  return { success: false, steps: sc.episode.max_steps, observations };
}

beforeAll(async () => {
  R = await loadRapier();
  const loaded = loadScenario(FILE);
  if (loaded.task !== 'grasp') throw new Error(`${FILE} is not a grasp scenario`);
  sc = loaded;
});

afterEach(() => {
  while (open.length) open.pop()!.close();
});

describe('grasp-cube scenario', () => {
  it('loads, and its contract matches the task layout', () => {
    expect(sc.contract.obs.map((c) => [c.name, c.size])).toEqual(graspTask.obsLayout(sc).map((c) => [c.name, c.size]));
    expect(sc.contract.action.map((c) => [c.name, c.size])).toEqual(
      graspTask.actionLayout(sc).map((c) => [c.name, c.size]),
    );
    expect(sc.safe_action).toEqual([0, 0, 0, 0, 0]);
    for (const term of Object.keys(sc.reward)) expect(graspTask.rewardTerms).toContain(term);
    expect(1 / (sc.control.rate_hz * sc.control.substeps)).toBeLessThanOrEqual(1 / 200);
  });

  it('is deterministic: same seed and actions give identical observation bytes', () => {
    const a = makeEnv();
    const b = makeEnv();
    const ra = a.reset({ seed: 11 });
    const rb = b.reset({ seed: 11 });
    expect(bytes(ra.obs)).toBe(bytes(rb.obs));
    const rng = new Rng(5);
    for (let t = 0; t < 40; t++) {
      const act = a.actionSpace.sample(rng);
      const sa = a.step(act);
      const sb = b.step(act);
      expect(bytes(sa.obs)).toBe(bytes(sb.obs));
      expect(sa.reward).toBe(sb.reward);
    }
    const c = makeEnv();
    expect(bytes(c.reset({ seed: 12 }).obs)).not.toBe(bytes(ra.obs));
  });

  it('continues bit-identically after a snapshot restore (mid-grasp)', () => {
    const a = makeEnv();
    const expert = graspExpert(sc);
    a.reset({ seed: 4 });
    expert.reset();
    for (let t = 0; t < 18; t++) a.step(expert.act(a.privileged()));
    // Round-trip the task state through JSON, as an episode file would.
    const saved = a.getState();
    const state = { ...saved, task: JSON.parse(JSON.stringify(saved.task)) };
    const actions: Float32Array[] = [];
    const expected: string[] = [];
    for (let t = 0; t < 25; t++) {
      const act = expert.act(a.privileged());
      actions.push(act);
      expected.push(bytes(a.step(act).obs));
    }
    const b = makeEnv();
    b.reset({ seed: 99 });
    b.setState(state);
    for (let t = 0; t < actions.length; t++) expect(bytes(b.step(actions[t]).obs)).toBe(expected[t]);
  });

  it('holds still under the safe action', () => {
    const env = makeEnv();
    const { obs } = env.reset({ seed: 2 });
    const ee = offsetOf(sc.contract.obs, 'ee_pos');
    let last = obs;
    for (let t = 0; t < 20; t++) last = env.step(sc.safe_action).obs;
    for (let i = 0; i < 3; i++) expect(Math.abs(last[ee + i] - obs[ee + i])).toBeLessThan(0.002);
  });

  it('the scripted expert lifts the cube in at least 9 of 10 nominal episodes, observations in bounds', () => {
    const env = makeEnv();
    let ok = 0;
    for (let seed = 0; seed < 10; seed++) {
      const run = runExpert(env, seed);
      if (run.success) ok++;
      for (const o of run.observations) expect(env.observationSpace.contains(o)).toBe(true);
    }
    expect(ok).toBeGreaterThanOrEqual(9);
  });

  it('the expert also copes with randomized physics', () => {
    const env = makeEnv();
    let ok = 0;
    for (let seed = 100; seed < 106; seed++) {
      const physics = samplePhysics(sc.randomization, Rng.derive(seed, 'physics'));
      const run = runExpert(env, seed, physics);
      if (run.success) ok++;
      for (const o of run.observations) expect(env.observationSpace.contains(o)).toBe(true);
    }
    expect(ok).toBeGreaterThanOrEqual(5);
  });

  it('reports reward terms, privileged state and a scene', () => {
    const env = makeEnv();
    env.reset({ seed: 1 });
    const r = env.step(sc.safe_action);
    expect(Object.keys(r.info.terms).sort()).toEqual([...graspTask.rewardTerms].sort());
    expect(r.info.terms.reach).toBeLessThan(0);
    const p = env.privileged() as GraspPrivileged;
    expect(p.cubeEdge).toBeGreaterThan(0.03);
    expect(p.cube[2]).toBeCloseTo(p.restZ, 2);
    const scene = env.scene();
    expect(scene.map((s) => s.id)).toEqual(
      expect.arrayContaining(['table', 'upper_arm', 'finger_left', 'finger_right', 'cube']),
    );
    for (const s of scene)
      for (const v of [...s.position, ...s.orientation, ...s.size]) expect(Number.isFinite(v)).toBe(true);
  });

  it('fails the episode when the cube leaves the table', () => {
    const env = makeEnv();
    env.reset({ seed: 3 });
    const p = env.privileged() as GraspPrivileged;
    // Push the cube off the table edge by hand.
    const world = env.physicsWorld;
    world.forEachRigidBody((b) => {
      const t = b.translation();
      if (b.isDynamic() && Math.abs(t.x - p.cube[0]) < 1e-6 && Math.abs(t.y - p.cube[1]) < 1e-6)
        b.setTranslation({ x: 0.8, y: 0.6, z: 0.2 }, true);
    });
    let r = env.step(sc.safe_action);
    for (let t = 0; t < 20 && !r.terminated; t++) r = env.step(sc.safe_action);
    expect(r.terminated).toBe(true);
    expect(r.info.success).toBe(false);
  });
});
