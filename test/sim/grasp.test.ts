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
import { loadMujoco, type Mujoco } from '../../src/sim/mujoco/mujoco.js';
import { MujocoEngine } from '../../src/sim/mujoco/engine.js';
import type { PhysicsParams } from '../../src/sim/physics-params.js';

const FILE = 'scenarios/grasp-cube.yaml';
let R: Rapier;
let mj: Mujoco;
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
function runExpert(env: TaskEnv, seed: number, physics?: Partial<PhysicsParams>, maxSteps = sc.episode.max_steps) {
  const expert = graspExpert(sc);
  const first = env.reset({ seed, options: physics ? { physics } : {} });
  expert.reset();
  const observations = [first.obs];
  for (let t = 0; t < maxSteps; t++) {
    const r = env.step(expert.act(env.privileged()));
    observations.push(r.obs);
    if (r.terminated) return { success: r.info.success, steps: t + 1, observations };
  }
  return { success: false, steps: sc.episode.max_steps, observations };
}

beforeAll(async () => {
  [R, mj] = await Promise.all([loadRapier(), loadMujoco()]);
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

describe.each(['rapier', 'mujoco'] as const)('per-actuator and per-body knobs in %s', (engine) => {
  function knobEnv(): TaskEnv {
    const env = engine === 'rapier' ? new TaskEnv(R, sc) : new TaskEnv(new MujocoEngine(mj), sc);
    env.onWarn = () => {};
    open.push(env);
    return env;
  }

  /** Joint angles after each of `actions` (normalised) from seed 0's start, under `physics`. */
  function jointPath(physics: Partial<PhysicsParams>, actions: number[][]): number[][] {
    const env = knobEnv();
    const jp = offsetOf(sc.contract.obs, 'joint_pos');
    const path = [Array.from(env.reset({ seed: 0, options: { physics } }).obs.slice(jp, jp + 5))];
    for (const a of actions) path.push(Array.from(env.step(a).obs.slice(jp, jp + 5)));
    return path;
  }

  const repeat = (a: number[], n: number): number[][] => Array.from({ length: n }, () => a);
  /** How far joint j has moved from the start after step `step`. */
  const travel = (path: number[][], j: number, step = path.length - 1): number => path[step][j] - path[0][j];
  const down = repeat([0, 0, -1, 0, 0], 3);

  it('actuator_gain 0.3 on the shoulder slows the shoulder and nothing else', () => {
    const nominal = jointPath({}, down);
    const weak = jointPath({ actuator_gain: [1, 0.3] }, down);
    expect(Math.abs(travel(nominal, 1))).toBeGreaterThan(0.03);
    expect(Math.abs(travel(weak, 1))).toBeLessThan(0.75 * Math.abs(travel(nominal, 1)));
    expect(travel(weak, 2)).toBeCloseTo(travel(nominal, 2), 2);
  });

  it('actuator_damping 50 on the shoulder slows it', () => {
    const nominal = jointPath({}, down);
    const damped = jointPath({ actuator_damping: [1, 50] }, down);
    expect(Math.abs(travel(damped, 1, 2))).toBeLessThan(0.85 * Math.abs(travel(nominal, 1, 2)));
  });

  it('actuator_friction 0.5 on the wrist roll: stiction inside τ_f / kp, then a stall error of τ_f / kp', () => {
    const band = (0.5 * sc.robot.motor_max_force[4]) / sc.robot.motor_stiffness[4]; // 0.025 rad
    const physics = { actuator_friction: [0, 0, 0, 0, 0.5] };
    // A 0.015 rad yaw command, inside the band, then holding.
    const small = [[0, 0, 0, 0.1, 0], ...repeat([0, 0, 0, 0, 0], 5)];
    expect(Math.abs(travel(jointPath({}, small), 4))).toBeGreaterThan(0.012);
    expect(Math.abs(travel(jointPath(physics, small), 4))).toBeLessThan(0.003);
    // 0.6 rad of yaw: the joint stops τ_f / kp short of where the nominal one goes.
    const big = [...repeat([0, 0, 0, 1, 0], 4), ...repeat([0, 0, 0, 0, 0], 10)];
    const shortfall = Math.abs(travel(jointPath({}, big), 4)) - Math.abs(travel(jointPath(physics, big), 4));
    expect(shortfall).toBeGreaterThan(0.8 * band);
    expect(shortfall).toBeLessThan(1.2 * band);
  });

  it('actuator_backlash 0.1 on the base yaw: the play is taken up first, then the joint trails by half of it', () => {
    const right = repeat([0, 1, 0, 0, 0], 3);
    const nominal = jointPath({}, right);
    const loose = jointPath({ actuator_backlash: [0.1] }, right);
    expect(travel(nominal, 0, 1)).toBeGreaterThan(0.02);
    expect(Math.abs(travel(loose, 0, 1))).toBeLessThan(0.002);
    expect(travel(nominal, 0) - travel(loose, 0)).toBeCloseTo(0.05, 2);
  });

  it('gripper_force 0.05 lets a 5x heavier cube slip from the grip that lifts it at full force', () => {
    const env = knobEnv();
    for (const seed of [0, 1]) {
      expect(runExpert(env, seed, { object_mass: 5 }, 80).success, `seed ${seed}, full force`).toBe(true);
      expect(runExpert(env, seed, { object_mass: 5, gripper_force: 0.05 }, 80).success, `seed ${seed}`).toBe(false);
    }
  });

  it('body_friction on pads and cube lets a 3x heavier cube slip', () => {
    const env = knobEnv();
    for (const seed of [0, 1]) {
      expect(runExpert(env, seed, { object_mass: 3 }, 80).success, `seed ${seed}, nominal friction`).toBe(true);
      const slippery = { object_mass: 3, body_friction: { pads: 0.05, cube: 0.05 } };
      expect(runExpert(env, seed, slippery, 80).success, `seed ${seed}`).toBe(false);
    }
  });
});

describe('knobs in the Rapier world', () => {
  it('body_friction scales the colliders of its group only', () => {
    const env = makeEnv();
    const frictions = (physics: Partial<PhysicsParams>) => {
      env.reset({ seed: 0, options: { physics } });
      const out: number[] = [];
      env.physicsWorld.forEachCollider((c) => out.push(c.friction()));
      return out.sort((a, b) => a - b);
    };
    const nominal = frictions({});
    const scaled = frictions({ body_friction: { table: 0.5, links: 2 } });
    const w = sc.world;
    const r = sc.robot;
    const expected = [
      w.table.friction * 0.5,
      ...Array(6).fill(r.link_friction * 2),
      ...Array(2).fill(r.gripper.friction),
    ];
    expect(scaled).toEqual([...expected, w.cube.friction].sort((a, b) => a - b).map((v) => expect.closeTo(v, 6)));
    expect(nominal).toEqual(
      [w.table.friction, ...Array(6).fill(r.link_friction), ...Array(2).fill(r.gripper.friction), w.cube.friction]
        .sort((a, b) => a - b)
        .map((v) => expect.closeTo(v, 6)),
    );
  });

  it('continues bit-identically after a restore with backlash and joint friction', () => {
    const physics = { actuator_backlash: [0.03, 0.03, 0.03], actuator_friction: [0.1, 0, 0, 0.2, 0.2] };
    const a = makeEnv();
    const expert = graspExpert(sc);
    a.reset({ seed: 6, options: { physics } });
    expert.reset();
    for (let t = 0; t < 12; t++) a.step(expert.act(a.privileged()));
    const saved = a.getState();
    expect((saved.task as { jointTargets?: number[] }).jointTargets).toHaveLength(5);
    const state = { ...saved, task: JSON.parse(JSON.stringify(saved.task)) };
    const actions: Float32Array[] = [];
    const expected: string[] = [];
    for (let t = 0; t < 15; t++) {
      actions.push(expert.act(a.privileged()));
      expected.push(bytes(a.step(actions[t]).obs));
    }
    const b = makeEnv();
    b.setState(state);
    for (let t = 0; t < actions.length; t++) expect(bytes(b.step(actions[t]).obs), `step ${t}`).toBe(expected[t]);
  });

  it('explicitly nominal knobs leave the world bit-identical', () => {
    const a = makeEnv();
    const b = makeEnv();
    const nominalKnobs: Partial<PhysicsParams> = {
      actuator_gain: [1, 1, 1, 1, 1],
      actuator_damping: [1, 1, 1, 1, 1],
      actuator_friction: [0, 0, 0, 0, 0],
      actuator_backlash: [0, 0, 0, 0, 0],
      gripper_force: 1,
      body_friction: { table: 1, cube: 1, pads: 1, links: 1 },
    };
    const ra = a.reset({ seed: 21 });
    const rb = b.reset({ seed: 21, options: { physics: nominalKnobs } });
    expect(bytes(rb.obs)).toBe(bytes(ra.obs));
    const expert = graspExpert(sc);
    expert.reset();
    for (let t = 0; t < 40; t++) {
      const act = expert.act(a.privileged());
      expect(bytes(b.step(act).obs)).toBe(bytes(a.step(act).obs));
    }
    expect(b.getState().task).toEqual(a.getState().task);
  });
});
