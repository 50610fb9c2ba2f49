/** The navigate task in MuJoCo: the same arena and contract as in Rapier, a working wheeled base, exact restore. */
import { afterEach, describe, expect, it } from 'vitest';
import { loadRapier } from '../../src/sim/rapier.js';
import { loadScenario } from '../../src/sim/scenario-file.js';
import { TaskEnv } from '../../src/sim/task-env.js';
import type { StepResult } from '../../src/sim/env.js';
import { loadMujoco } from '../../src/sim/mujoco/mujoco.js';
import { MujocoEngine } from '../../src/sim/mujoco/engine.js';
import { MujocoSettingsSchema } from '../../src/sim/mujoco/settings.js';
import { checkClose, checkDeterminism, checkRandomSteps, checkSpaces } from '../../src/sim/check-env.js';
import type { NavigatePrivileged } from '../../src/sim/tasks/navigate/task.js';
import { navigateExpert } from '../../src/sim/tasks/navigate/expert.js';
import { StaticShapes } from '../../src/sim/tasks/navigate/geometry.js';
import type { NavigateScenario } from '../../src/sim/scenario-schema.js';

const base = loadScenario('scenarios/navigate-obstacles.yaml') as NavigateScenario;
const RAYS = base.robot.lidar_rays;
const R = await loadRapier();
const mj = await loadMujoco();

function variant(edit: (sc: NavigateScenario) => void): NavigateScenario {
  const sc = structuredClone(base);
  edit(sc);
  return sc;
}

const envs: TaskEnv[] = [];
function mujocoEnv(sc: NavigateScenario = base, settings: object = {}): TaskEnv {
  const env = new TaskEnv(new MujocoEngine(mj, MujocoSettingsSchema.parse(settings)), sc);
  envs.push(env);
  return env;
}
function rapierEnv(sc: NavigateScenario = base): TaskEnv {
  const env = new TaskEnv(R, sc);
  envs.push(env);
  return env;
}
afterEach(() => {
  for (const e of envs.splice(0)) e.close();
});

function bytes(a: Float32Array): number[] {
  return Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

/** Exact planar lidar ranges from the privileged pose against the layout's shapes. */
function exactRanges(p: NavigatePrivileged): number[] {
  const shapes = new StaticShapes([...p.layout.walls, ...p.layout.obstacles]);
  return Array.from({ length: RAYS }, (_, i) => {
    const a = p.pose.yaw + (2 * Math.PI * i) / RAYS;
    return shapes.raycast(p.pose.x, p.pose.y, Math.cos(a), Math.sin(a), base.robot.lidar_max_range);
  });
}

describe('navigate in MuJoCo', () => {
  it('has the Rapier env’s contract, arena and initial observation, component by component', () => {
    const rap = rapierEnv();
    const muj = mujocoEnv();
    expect(muj.contract).toEqual(rap.contract);
    expect(muj.observationSpace).toEqual(rap.observationSpace);
    expect(muj.actionSpace).toEqual(rap.actionSpace);
    // Tolerance per component: lidar to 1 mm (Rapier casts in f32), the rest to float32 rounding.
    const tol: Record<string, number> = {
      lidar: 1e-3,
      goal_dist: 1e-5,
      goal_dir: 1e-5,
      base_lin_vel: 0,
      base_ang_vel: 0,
    };
    for (const seed of [0, 1, 2, 3, 4]) {
      const a = rap.reset({ seed }).obs;
      const b = muj.reset({ seed }).obs;
      const pa = rap.privileged() as NavigatePrivileged;
      const pb = muj.privileged() as NavigatePrivileged;
      expect(pb.layout, `seed ${seed}: the same arena`).toEqual(pa.layout);
      let k = 0;
      for (const c of rap.contract.obs) {
        for (let j = 0; j < c.size; j++, k++)
          expect(
            Math.abs(b[k] - a[k]),
            `seed ${seed} ${c.name}[${j}]: mujoco ${b[k]} rapier ${a[k]}`,
          ).toBeLessThanOrEqual(tol[c.name]);
      }
      expect(Math.min(...b.subarray(0, RAYS)), `seed ${seed}: something in range`).toBeLessThan(
        base.robot.lidar_max_range,
      );
    }
  });

  it('the lidar reads the exact planar ranges from the moving base (its own wheels unseen)', () => {
    const env = mujocoEnv();
    const expert = navigateExpert(base);
    let scans = 0;
    for (const seed of [0, 3]) {
      let obs = env.reset({ seed }).obs;
      expert.reset();
      for (let t = 0; t < 40; t++) {
        const want = exactRanges(env.privileged() as NavigatePrivileged);
        want.forEach((w, i) => expect(Math.abs(obs[i] - w), `seed ${seed} step ${t} beam ${i}`).toBeLessThan(1e-5));
        scans++;
        const r = env.step(expert.act(env.privileged()));
        if (r.terminated) break;
        obs = r.obs;
      }
    }
    expect(scans).toBeGreaterThan(50);
  });

  it('the scripted expert reaches the goal on 20 of 20 seeds', () => {
    const env = mujocoEnv();
    const expert = navigateExpert(base);
    let successes = 0;
    for (let seed = 0; seed < 20; seed++) {
      env.reset({ seed });
      expert.reset();
      for (let t = 0; t < base.episode.max_steps; t++) {
        const r = env.step(expert.act(env.privileged()));
        if (r.terminated) {
          if (r.info.success) successes++;
          break;
        }
      }
    }
    expect(successes).toBe(20);
  });

  it('continues identically after a snapshot restore', () => {
    const env = mujocoEnv();
    const other = mujocoEnv();
    const physics = { motor_stiffness: 0.9, link_mass: 1.1, actuator_backlash: [0.02, 0], actuator_friction: [0, 0.1] };
    env.reset({ seed: 3, options: { physics } });
    const expert = navigateExpert(base);
    let obsAtState: Float32Array = new Float32Array(0);
    for (let t = 0; t < 15; t++) obsAtState = env.step(expert.act(env.privileged())).obs;
    const state = env.getState();
    const actions: Float32Array[] = [];
    const want: StepResult[] = [];
    for (let t = 0; t < 25; t++) {
      const act = expert.act(env.privileged());
      actions.push(act);
      want.push(env.step(act));
    }
    other.reset({ seed: 99 });
    const restored = other.setState({ ...state, task: JSON.parse(JSON.stringify(state.task)) });
    expect(bytes(restored)).toEqual(bytes(obsAtState));
    actions.forEach((act, t) => {
      const got = other.step(act);
      expect(bytes(got.obs), `step ${t}`).toEqual(bytes(want[t].obs));
      expect(got.reward, `step ${t}`).toBe(want[t].reward);
    });
    expect(() => other.setState({ ...state, task: { nope: 1 } })).toThrow(/taskState\(\) of a navigate episode/);
  });

  it('passes the env checker: spaces, determinism, random steps, double close', () => {
    const env = mujocoEnv();
    env.onWarn = () => {};
    checkSpaces(env);
    checkDeterminism(() => mujocoEnv(), 5, 40);
    expect(checkRandomSteps(env, 300, 1).steps).toBe(300);
    checkClose(env);
  });

  it('driving straight into a wall terminates the episode as a failure', () => {
    const env = mujocoEnv(variant((s) => (s.world.obstacle_count = [0, 0])));
    for (let seed = 0; ; seed++) {
      env.reset({ seed });
      const { pose, layout } = env.privileged() as NavigatePrivileged;
      const gx = layout.goal.x - pose.x;
      const gy = layout.goal.y - pose.y;
      if (
        gx * Math.cos(pose.yaw) + gy * Math.sin(pose.yaw) > 0 &&
        Math.abs(-gx * Math.sin(pose.yaw) + gy * Math.cos(pose.yaw)) < 0.5
      )
        continue;
      let last: StepResult | undefined;
      for (let t = 0; t < 200 && !last?.terminated; t++) last = env.step([1, 0]);
      expect(last!.terminated).toBe(true);
      expect(last!.info.success).toBe(false);
      expect(last!.info.terms.collision).toBe(1);
      expect(Math.min(...last!.obs.subarray(0, RAYS))).toBeLessThan(base.robot.radius + 0.02);
      return;
    }
  });

  it('physics parameters change the base response', () => {
    const env = mujocoEnv(variant((s) => (s.world.obstacle_count = [0, 0])));
    const speedAfter = (physics: Partial<Record<string, number>>) => {
      env.reset({ seed: 6, options: { physics } });
      for (let t = 0; t < 3; t++) env.step([1, 1]);
      const { v, w } = env.privileged() as NavigatePrivileged;
      return [v, w];
    };
    const [v0, w0] = speedAfter({});
    expect(v0).toBeGreaterThan(0.45);
    expect(w0).toBeGreaterThan(1.5);
    for (const physics of [
      { motor_stiffness: 0.3 },
      { motor_max_force: 0.2 },
      { joint_damping: 20 },
      { friction: 0.1 },
      { link_mass: 4 },
    ])
      expect(speedAfter(physics)[0], JSON.stringify(physics)).toBeLessThan(v0 - 0.05);
  });

  it('runs under every integrator and cone the profiles may name', () => {
    const expert = navigateExpert(base);
    for (const settings of [
      { integrator: 'Euler' },
      { integrator: 'RK4' },
      { cone: 'elliptic', impratio: 10 },
      { contact: { condim: 6 } },
    ]) {
      const env = mujocoEnv(base, settings);
      let successes = 0;
      for (const seed of [0, 1, 2]) {
        env.reset({ seed });
        expert.reset();
        for (let t = 0; t < base.episode.max_steps; t++) {
          const r = env.step(expert.act(env.privileged()));
          if (r.terminated) {
            if (r.info.success) successes++;
            break;
          }
        }
      }
      expect(successes, JSON.stringify(settings)).toBe(3);
    }
  });

  it('describes the scene like the Rapier task', () => {
    const env = mujocoEnv();
    env.reset({ seed: 2 });
    const rap = rapierEnv();
    rap.reset({ seed: 2 });
    expect(env.scene().map((p) => p.id)).toEqual(rap.scene().map((p) => p.id));
  });
});
