import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadRapier, type Rapier } from '../../src/sim/rapier.js';
import { loadScenario } from '../../src/sim/scenario-file.js';
import { TaskEnv } from '../../src/sim/task-env.js';
import { graspExpert } from '../../src/sim/tasks/grasp/expert.js';
import { loadMujoco, compileMjcf, type Mujoco } from '../../src/sim/mujoco/mujoco.js';
import { MujocoEngine } from '../../src/sim/mujoco/engine.js';
import { defaultMujocoSettings } from '../../src/sim/mujoco/settings.js';
import { graspMujoco } from '../../src/sim/tasks/grasp/mujoco.js';
import { nominalPhysics } from '../../src/sim/physics-params.js';
import { offsetOf } from '../../src/sim/contract.js';
import { Rng } from '../../src/sim/rng.js';
import type { GraspPrivileged } from '../../src/sim/tasks/grasp/instance.js';
import type { GraspScenario } from '../../src/sim/scenario-schema.js';

const FILE = 'scenarios/grasp-cube.yaml';
let R: Rapier;
let mj: Mujoco;
let sc: GraspScenario;
const open: TaskEnv[] = [];

function mujocoEnv(): TaskEnv {
  const env = new TaskEnv(new MujocoEngine(mj), sc);
  env.onWarn = () => {};
  open.push(env);
  return env;
}

function bytes(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
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

describe('grasp in MuJoCo', () => {
  it('starts each seed where Rapier does: same contract, same initial observation per component', () => {
    const rapier = new TaskEnv(R, sc);
    open.push(rapier);
    const mujoco = mujocoEnv();
    expect(mujoco.contract).toEqual(rapier.contract);
    for (let seed = 0; seed < 5; seed++) {
      const a = rapier.reset({ seed }).obs;
      const b = mujoco.reset({ seed }).obs;
      for (const c of sc.contract.obs) {
        const o = offsetOf(sc.contract.obs, c.name);
        const diff = Math.max(...Array.from({ length: c.size }, (_, i) => Math.abs(a[o + i] - b[o + i])));
        // Rapier keeps poses in float32: 1e-5 is float32 rounding of metres and radians, far below a mm.
        expect(diff, `seed ${seed}: ${c.name}`).toBeLessThan(1e-5);
      }
    }
  });

  it('the scripted expert lifts the cube in 20 of 20 nominal episodes, observations in bounds', () => {
    const env = mujocoEnv();
    const expert = graspExpert(sc);
    let ok = 0;
    for (let seed = 0; seed < 20; seed++) {
      let obs = env.reset({ seed }).obs;
      expert.reset();
      for (let t = 0; t < sc.episode.max_steps; t++) {
        expect(env.observationSpace.contains(obs)).toBe(true);
        const r = env.step(expert.act(env.privileged()));
        obs = r.obs;
        if (r.terminated) {
          if (r.info.success) ok++;
          break;
        }
      }
    }
    expect(ok).toBe(20);
  });

  it('continues identically after a snapshot restore (mid-grasp, with backlash and joint friction)', () => {
    const physics = { actuator_backlash: [0.02, 0.02], actuator_friction: [0, 0, 0, 0.1, 0.1] };
    const a = mujocoEnv();
    const expert = graspExpert(sc);
    a.reset({ seed: 4, options: { physics } });
    expert.reset();
    // Snapshot a few steps into the lift, when the restore has contacts and a squeeze to carry.
    const grasped = () => (a.privileged() as GraspPrivileged).grasped;
    for (let t = 0; t < 80 && !grasped(); t++) a.step(expert.act(a.privileged()));
    expect(grasped()).toBe(true);
    for (let k = 0; k < 3; k++) a.step(expert.act(a.privileged()));
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
    const b = mujocoEnv();
    b.reset({ seed: 99 });
    b.setState(state);
    for (let t = 0; t < actions.length; t++) expect(bytes(b.step(actions[t]).obs), `step ${t}`).toBe(expected[t]);
    // The same env restored in place repeats it too.
    a.setState(state);
    for (let t = 0; t < actions.length; t++)
      expect(bytes(a.step(actions[t]).obs), `in place, step ${t}`).toBe(expected[t]);
  });

  it('refuses a Rapier task state', () => {
    const rapier = new TaskEnv(R, sc);
    open.push(rapier);
    rapier.reset({ seed: 1 });
    const env = mujocoEnv();
    env.reset({ seed: 1 });
    expect(() => env.setState(rapier.getState())).toThrow(/not a MuJoCo snapshot/);
  });

  it('touches only what Rapier lets touch, with the mean of the two coefficients (Rapier combine rule)', () => {
    const params = { ...nominalPhysics(), friction: 0.5, body_friction: { table: 0.4, pads: 2 } };
    const { xml } = graspMujoco.build(sc, params, new Rng(1), defaultMujocoSettings(), 0.005);
    const model = compileMjcf(mj, xml);
    try {
      const name = (id: number) => mj.mj_id2name(model, mj.mjtObj.mjOBJ_GEOM.value, id);
      const g1 = model.pair_geom1 as Int32Array;
      const g2 = model.pair_geom2 as Int32Array;
      const fr = model.pair_friction as Float64Array;
      const pairs = new Map<string, number>();
      for (let i = 0; i < model.npair; i++) pairs.set([name(g1[i]), name(g2[i])].sort().join('+'), fr[5 * i]);
      const w = sc.world;
      const pad = sc.robot.gripper.friction;
      const links = ['base', 'turret', 'upper_arm', 'forearm', 'wrist', 'palm'];
      expect([...pairs.keys()].sort()).toEqual(
        ['table', 'finger_left', 'finger_right', ...links].map((g) => ['cube', g].sort().join('+')).sort(),
      );
      expect(pairs.get('cube+table')).toBeCloseTo(((w.cube.friction + w.table.friction * 0.4) / 2) * 0.5, 12);
      expect(pairs.get('cube+finger_left')).toBeCloseTo(((w.cube.friction + pad * 2) / 2) * 0.5, 12);
      expect(pairs.get('cube+palm')).toBeCloseTo(((w.cube.friction + sc.robot.link_friction) / 2) * 0.5, 12);
      expect(model.ngeom).toBe(10);
      for (let i = 0; i < model.ngeom; i++) {
        expect((model.geom_contype as Int32Array)[i]).toBe(0);
        expect((model.geom_conaffinity as Int32Array)[i]).toBe(0);
      }
    } finally {
      model.delete();
    }
  });
});
