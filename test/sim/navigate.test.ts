import { afterEach, describe, expect, it } from 'vitest';
import { loadRapier, type Rapier } from '../../src/sim/rapier.js';
import { loadScenario } from '../../src/sim/scenario-file.js';
import { TaskEnv } from '../../src/sim/task-env.js';
import type { StepResult } from '../../src/sim/env.js';
import { Rng } from '../../src/sim/rng.js';
import { navigateTask, type NavigatePrivileged } from '../../src/sim/tasks/navigate/task.js';
import { navigateExpert } from '../../src/sim/tasks/navigate/expert.js';
import { ClearanceGrid, astar } from '../../src/sim/tasks/navigate/grid.js';
import { StaticShapes, arenaWalls, type Primitive } from '../../src/sim/tasks/navigate/geometry.js';
import type { NavigateScenario } from '../../src/sim/scenario-schema.js';
import { nominalPhysics, type PhysicsParams } from '../../src/sim/physics-params.js';
import { compileMjcf, loadMujoco, type Mujoco } from '../../src/sim/mujoco/mujoco.js';
import { MujocoEngine } from '../../src/sim/mujoco/engine.js';
import { defaultMujocoSettings } from '../../src/sim/mujoco/settings.js';
import { navigateMujoco } from '../../src/sim/tasks/navigate/mujoco.js';

const FILE = 'scenarios/navigate-obstacles.yaml';
const base = loadScenario(FILE) as NavigateScenario;
const RAYS = base.robot.lidar_rays;

/** A copy of the scenario with some fields changed (the contract stays valid). */
function variant(edit: (sc: NavigateScenario) => void): NavigateScenario {
  const sc = structuredClone(base);
  edit(sc);
  return sc;
}

const envs: TaskEnv[] = [];
let R: Rapier;
async function makeEnv(sc: NavigateScenario = base): Promise<TaskEnv> {
  R ??= await loadRapier();
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

/** Distance from (x, y) along (c, s) to the inside of the square |x|, |y| <= half. */
function squareRange(x: number, y: number, c: number, s: number, half: number): number {
  let t = Infinity;
  if (c > 1e-12) t = Math.min(t, (half - x) / c);
  if (c < -1e-12) t = Math.min(t, (-half - x) / c);
  if (s > 1e-12) t = Math.min(t, (half - y) / s);
  if (s < -1e-12) t = Math.min(t, (-half - y) / s);
  return t;
}

describe('navigate-obstacles scenario', () => {
  it('loads, and its contract matches the task layout', () => {
    expect(base.task).toBe('navigate');
    expect(base.contract.obs.map((c) => [c.name, c.size])).toEqual(
      navigateTask.obsLayout(base).map((c) => [c.name, c.size]),
    );
    expect(base.contract.action.map((c) => c.name)).toEqual(['lin_vel', 'ang_vel']);
    expect(base.safe_action).toEqual([0, 0]);
    expect(Object.keys(base.reward).sort()).toEqual([...navigateTask.rewardTerms].sort());
    expect(1 / (base.control.rate_hz * base.control.substeps)).toBeLessThanOrEqual(0.01);
  });
});

describe('navigate task', () => {
  it('is deterministic: same seed and actions give identical observation bytes', async () => {
    const a = await makeEnv();
    const b = await makeEnv();
    const ra = a.reset({ seed: 11 });
    const rb = b.reset({ seed: 11 });
    expect(bytes(ra.obs)).toEqual(bytes(rb.obs));
    const rng = new Rng(5);
    for (let t = 0; t < 40; t++) {
      const act = [rng.uniform(-1, 1), rng.uniform(-1, 1)];
      const sa = a.step(act);
      const sb = b.step(act);
      expect(bytes(sa.obs)).toEqual(bytes(sb.obs));
      expect(sa.reward).toBe(sb.reward);
      expect(sa.terminated).toBe(sb.terminated);
      if (sa.terminated) break;
    }
    expect(a.reset({ seed: 12 }).obs).not.toEqual(ra.obs);
  });

  it.each(['geometry', 'rapier'] as const)(
    'continues bit-identically after a snapshot restore (%s lidar)',
    async (backend) => {
      const sc = variant((s) => (s.robot.lidar_backend = backend));
      const env = await makeEnv(sc);
      const other = await makeEnv(sc);
      env.reset({ seed: 3, options: { physics: { motor_stiffness: 0.9, link_mass: 1.1 } } });
      const expert = navigateExpert(sc);
      let obsAtState: Float32Array = new Float32Array(0);
      for (let t = 0; t < 15; t++) obsAtState = env.step(expert.act(env.privileged())).obs;
      const state = env.getState();
      const actions: Float32Array[] = [];
      const want: number[][] = [];
      for (let t = 0; t < 25; t++) {
        const act = expert.act(env.privileged());
        actions.push(act);
        want.push(bytes(env.step(act).obs));
      }
      other.reset({ seed: 99 });
      // The task state survives a JSON round trip (episode files store it as JSON).
      const restored = other.setState({ ...state, task: JSON.parse(JSON.stringify(state.task)) });
      expect(bytes(restored)).toEqual(bytes(obsAtState));
      actions.forEach((act, t) => expect(bytes(other.step(act).obs), `step ${t}`).toEqual(want[t]));
    },
  );

  it('lidar reads the distance to the arena walls (both backends agree)', async () => {
    const empty = (backend: 'rapier' | 'geometry') =>
      variant((s) => {
        s.world.obstacle_count = [0, 0];
        s.robot.lidar_backend = backend;
      });
    for (const backend of ['rapier', 'geometry'] as const) {
      const env = await makeEnv(empty(backend));
      const { obs } = env.reset({ seed: 4 });
      const p = env.privileged() as NavigatePrivileged;
      const half = p.layout.half;
      for (let i = 0; i < RAYS; i++) {
        const a = p.pose.yaw + (2 * Math.PI * i) / RAYS;
        const want = Math.min(
          base.robot.lidar_max_range,
          squareRange(p.pose.x, p.pose.y, Math.cos(a), Math.sin(a), half),
        );
        expect(obs[i], `${backend} beam ${i}`).toBeCloseTo(want, 4);
      }
    }
    // With obstacles, the cheap backend reproduces Rapier's ray casts.
    const rap = await makeEnv(variant((s) => (s.robot.lidar_backend = 'rapier')));
    const geo = await makeEnv(variant((s) => (s.robot.lidar_backend = 'geometry')));
    for (const seed of [0, 1, 2, 5, 8]) {
      const o1 = rap.reset({ seed }).obs;
      const o2 = geo.reset({ seed }).obs;
      for (let i = 0; i < RAYS; i++) expect(o2[i], `seed ${seed} beam ${i}`).toBeCloseTo(o1[i], 4);
      expect(Math.min(...o1.subarray(0, RAYS))).toBeLessThan(base.robot.lidar_max_range);
    }
  });

  /** Per beam: the range Rapier's public World.castRay gives from the base's pose, and whether it hit a cylinder. */
  function castRayRanges(env: TaskEnv): { range: number; cylinder: boolean }[] {
    const world = env.physicsWorld;
    const p = env.privileged() as NavigatePrivileged;
    let self: number | undefined;
    world.forEachCollider((c) => {
      if (c.parent()?.isDynamic() && c.parent()!.numColliders() === 1 && c.shapeType() === R.ShapeType.Cylinder)
        self ??= c.handle;
    });
    const selfCollider = world.getCollider(self!);
    const z = selfCollider.translation().z;
    const ray = new R.Ray({ x: p.pose.x, y: p.pose.y, z }, { x: 1, y: 0, z: 0 });
    const max = base.robot.lidar_max_range;
    return Array.from({ length: RAYS }, (_, i) => {
      const a = p.pose.yaw + (2 * Math.PI * i) / RAYS;
      ray.dir.x = Math.cos(a);
      ray.dir.y = Math.sin(a);
      const hit = world.castRay(ray, max, true, undefined, undefined, selfCollider);
      if (!hit || hit.timeOfImpact >= max) return { range: max, cylinder: false };
      return { range: hit.timeOfImpact, cylinder: hit.collider.shapeType() === R.ShapeType.Cylinder };
    });
  }

  /** Exact planar ranges against the layout's shapes. */
  function exactRanges(env: TaskEnv): number[] {
    const p = env.privileged() as NavigatePrivileged;
    const shapes = new StaticShapes([...p.layout.walls, ...p.layout.obstacles]);
    return Array.from({ length: RAYS }, (_, i) => {
      const a = p.pose.yaw + (2 * Math.PI * i) / RAYS;
      return shapes.raycast(p.pose.x, p.pose.y, Math.cos(a), Math.sin(a), base.robot.lidar_max_range);
    });
  }

  /**
   * Boxes and walls: what World.castRay returns (to f32). Vertical cylinders: the lidar casts their
   * circle in the scan plane (Rapier's ball ray test), exact, where World.castRay runs GJK on the
   * cylinder, which is off by up to ~1 mm; so those beams must match the exact geometry and stay
   * within GJK's tolerance of World.castRay.
   */
  function expectCastRayRanges(env: TaskEnv, obs: Float32Array, label: string): number {
    const exact = exactRanges(env);
    let cylinders = 0;
    castRayRanges(env).forEach((w, i) => {
      if (!w.cylinder) return expect(obs[i], `${label} beam ${i}`).toBeCloseTo(w.range, 5);
      cylinders++;
      expect(Math.abs(obs[i] - w.range), `${label} beam ${i} (cylinder) vs World.castRay`).toBeLessThan(2e-3);
      expect(obs[i], `${label} beam ${i} (cylinder) vs exact (f32 poses)`).toBeCloseTo(exact[i], 4);
    });
    return cylinders;
  }

  it("the rapier lidar returns what Rapier's public World.castRay returns, all along episodes", async () => {
    const env = await makeEnv(variant((s) => (s.robot.lidar_backend = 'rapier')));
    const expert = navigateExpert(base);
    let compared = 0;
    let cylinderBeams = 0;
    for (const seed of [0, 3, 6, 9]) {
      expert.reset();
      let obs = env.reset({ seed }).obs;
      for (let t = 0; t < 60; t++) {
        cylinderBeams += expectCastRayRanges(env, obs, `seed ${seed} step ${t}`);
        compared++;
        const r = env.step(expert.act(env.privileged()));
        if (r.terminated) break;
        obs = r.obs;
      }
    }
    expect(compared).toBeGreaterThan(100);
    expect(cylinderBeams).toBeGreaterThan(50);
  });

  /** An arena without obstacles (rapier lidar), one scan taken, and where a point at (distance, bearing) from the base is. */
  async function emptyArenaScan() {
    const env = await makeEnv(
      variant((s) => {
        s.robot.lidar_backend = 'rapier';
        s.world.obstacle_count = [0, 0];
      }),
    );
    env.reset({ seed: 2 });
    const p = env.privileged() as NavigatePrivileged;
    const before = env.step([0, 0]).obs.slice(0, RAYS);
    const at = (d: number, a: number) => ({
      x: p.pose.x + d * Math.cos(p.pose.yaw + a),
      y: p.pose.y + d * Math.sin(p.pose.yaw + a),
      z: 0.06,
    });
    return { env, world: env.physicsWorld, before, at };
  }

  it('the rapier lidar sees colliders added after reset: tilted, moving, any shape', async () => {
    const { env, world, before, at } = await emptyArenaScan();
    // A tilted box ahead, a ball behind, a capsule to the left: none of them a vertical prism.
    world.createCollider(
      R.ColliderDesc.cuboid(0.1, 0.1, 0.1)
        .setTranslation(at(0.5, 0).x, at(0.5, 0).y, 0.06)
        .setRotation({ x: 0.2, y: 0.1, z: 0, w: Math.sqrt(1 - 0.05) }),
    );
    const ball = world.createRigidBody(
      R.RigidBodyDesc.kinematicPositionBased().setTranslation(at(0.6, Math.PI).x, at(0.6, Math.PI).y, 0.06),
    );
    world.createCollider(R.ColliderDesc.ball(0.1), ball);
    world.createCollider(
      R.ColliderDesc.capsule(0.1, 0.05).setTranslation(at(0.7, Math.PI / 2).x, at(0.7, Math.PI / 2).y, 0.06),
    );
    const obs = env.step([0, 0]).obs;
    castRayRanges(env).forEach((w, i) => expect(obs[i], `beam ${i}`).toBeCloseTo(w.range, 5));
    for (const beam of [0, RAYS / 2, RAYS / 4])
      expect(obs[beam], `beam ${beam} sees the new collider`).toBeLessThan(before[beam] - 0.1);
  });

  it('the rapier lidar sees a vertical cylinder only where it spans the scan plane', async () => {
    const { env, world, before, at } = await emptyArenaScan();
    const upright = { x: Math.SQRT1_2, y: 0, z: 0, w: Math.SQRT1_2 };
    // Ahead: a low cylinder under the scan plane (z = 0.06). Behind: a tall one through it.
    world.createCollider(
      R.ColliderDesc.cylinder(0.02, 0.1).setRotation(upright).setTranslation(at(0.5, 0).x, at(0.5, 0).y, 0.02),
    );
    world.createCollider(
      R.ColliderDesc.cylinder(0.15, 0.1)
        .setRotation(upright)
        .setTranslation(at(0.5, Math.PI).x, at(0.5, Math.PI).y, 0.15),
    );
    const obs = env.step([0, 0]).obs;
    castRayRanges(env).forEach((w, i) => expect(Math.abs(obs[i] - w.range), `beam ${i}`).toBeLessThan(2e-3));
    expect(obs[0], 'the low cylinder is under the beams').toBeCloseTo(before[0], 5);
    expect(obs[RAYS / 2], 'the tall cylinder is hit at its circle').toBeCloseTo(0.4, 4);
  });

  it('driving straight into a wall terminates the episode as a failure', async () => {
    const sc = variant((s) => (s.world.obstacle_count = [0, 0]));
    const env = await makeEnv(sc);
    // A seed whose straight-ahead line does not pass the goal.
    let seed = 0;
    for (; ; seed++) {
      env.reset({ seed });
      const { pose, layout } = env.privileged() as NavigatePrivileged;
      const gx = layout.goal.x - pose.x;
      const gy = layout.goal.y - pose.y;
      const along = gx * Math.cos(pose.yaw) + gy * Math.sin(pose.yaw);
      const across = Math.abs(-gx * Math.sin(pose.yaw) + gy * Math.cos(pose.yaw));
      if (along < 0 || across > 0.5) break;
    }
    let last: StepResult | undefined;
    for (let t = 0; t < 200; t++) {
      last = env.step([1, 0]);
      if (last.terminated) break;
    }
    expect(last!.terminated).toBe(true);
    expect(last!.info.success).toBe(false);
    expect(last!.info.terms.collision).toBe(1);
    expect(last!.reward).toBeLessThan(-5);
    expect(Math.min(...last!.obs.subarray(0, RAYS))).toBeLessThan(base.robot.radius + 0.02); // the lidar sees the wall
  });

  it('bumping into a collider the task did not build ends the episode too (Rapier contacts)', async () => {
    const env = await makeEnv(variant((s) => (s.world.obstacle_count = [0, 0])));
    for (let seed = 0; ; seed++) {
      env.reset({ seed });
      const { pose, layout } = env.privileged() as NavigatePrivileged;
      // A ball 0.4 m ahead, where the goal is not.
      const bx = pose.x + 0.4 * Math.cos(pose.yaw);
      const by = pose.y + 0.4 * Math.sin(pose.yaw);
      if (Math.hypot(layout.goal.x - bx, layout.goal.y - by) < 0.6) continue;
      env.physicsWorld.createCollider(R.ColliderDesc.ball(0.08).setTranslation(bx, by, 0.06));
      let last: StepResult | undefined;
      for (let t = 0; t < 30 && !last?.terminated; t++) last = env.step([1, 0]);
      expect(last!.terminated).toBe(true);
      expect(last!.info.terms.collision).toBe(1);
      const { pose: end } = env.privileged() as NavigatePrivileged;
      expect(Math.hypot(end.x - bx, end.y - by), 'stopped at the ball, not at a wall').toBeLessThan(
        base.robot.radius + 0.08 + 0.05,
      );
      return;
    }
  });

  it('the scripted expert reaches the goal on at least 9 of 10 seeds, observations inside the space', async () => {
    const env = await makeEnv();
    const expert = navigateExpert(base);
    let successes = 0;
    for (let seed = 0; seed < 10; seed++) {
      let { obs } = env.reset({ seed });
      expert.reset();
      for (let t = 0; t < base.episode.max_steps; t++) {
        expect(env.observationSpace.contains(obs), `seed ${seed} step ${t}: ${Array.from(obs).join(', ')}`).toBe(true);
        const act = expert.act(env.privileged());
        expect(env.actionSpace.contains(act)).toBe(true);
        const r = env.step(act);
        obs = r.obs;
        if (r.terminated) {
          if (r.info.success) successes++;
          break;
        }
      }
    }
    expect(successes).toBeGreaterThanOrEqual(9);
  });

  it('keeps observations inside the observation space under random actions and randomized physics', async () => {
    const env = await makeEnv();
    const rng = new Rng(8);
    for (let seed = 20; seed < 24; seed++) {
      const physics = {
        friction: 0.7,
        link_mass: 0.8,
        motor_max_force: 1.2,
        gravity_tilt_deg: 1,
        object_size: 1.15,
        object_pose: 0.1,
        restitution: 0.1,
      };
      let { obs } = env.reset({ seed, options: { physics } });
      for (let t = 0; t < 60; t++) {
        expect(env.observationSpace.contains(obs), Array.from(obs).join(', ')).toBe(true);
        const r = env.step([rng.uniform(-1, 1), rng.uniform(-1, 1)]);
        obs = r.obs;
        if (r.terminated) break;
      }
    }
  });

  it('physics parameters change the base response', async () => {
    const env = await makeEnv(variant((s) => (s.world.obstacle_count = [0, 0])));
    const speedAfter = (physics: Record<string, number>) => {
      env.reset({ seed: 6, options: { physics } });
      for (let t = 0; t < 3; t++) env.step([1, 1]);
      const { v, w } = env.privileged() as NavigatePrivileged;
      return [v, w];
    };
    const [v0, w0] = speedAfter({});
    expect(v0).toBeGreaterThan(0.45);
    expect(w0).toBeGreaterThan(1.5);
    expect(speedAfter({ motor_stiffness: 0.3 })[0]).toBeLessThan(v0 - 0.05);
    expect(speedAfter({ motor_max_force: 0.2 })[0]).toBeLessThan(v0 - 0.05);
    expect(speedAfter({ joint_damping: 20 })[0]).toBeLessThan(v0 - 0.05);
    expect(speedAfter({ friction: 0.1 })[0]).toBeLessThan(v0 - 0.05);
  });

  it('layouts keep start and goal clear, and are re-drawn until reachable', async () => {
    const env = await makeEnv();
    for (let seed = 0; seed < 20; seed++) {
      env.reset({ seed });
      const { layout, radius } = env.privileged() as NavigatePrivileged;
      const n = layout.obstacles.length;
      expect(n).toBeGreaterThanOrEqual(3);
      expect(n).toBeLessThanOrEqual(8);
      const prims = [...layout.walls, ...layout.obstacles];
      const grid = new ClearanceGrid(prims, layout.half, 0.05, 1);
      const need = radius + base.world.clearance;
      expect(grid.at(layout.start.x, layout.start.y)).toBeGreaterThanOrEqual(need);
      expect(
        astar(grid, need, grid.cellOf(layout.start.x, layout.start.y), grid.cellOf(layout.goal.x, layout.goal.y)),
      ).not.toBeNull();
    }
    // A* itself: a wall across the arena blocks every path, a gap in it opens one.
    const walls = arenaWalls(2, 0.1);
    const across = (gap: number): Primitive[] => [
      { kind: 'box', x: -1 - gap / 2, y: 0, yaw: 0, hx: 1, hy: 0.05 },
      { kind: 'box', x: 1 + gap / 2, y: 0, yaw: 0, hx: 1, hy: 0.05 },
    ];
    const plan = (gap: number) => {
      const g = new ClearanceGrid([...walls, ...across(gap)], 2, 0.05, 0.5);
      return astar(g, 0.23, g.cellOf(0, -1.5), g.cellOf(0, 1.5));
    };
    expect(plan(0)).toBeNull();
    expect(plan(0.3)).toBeNull();
    expect(plan(0.7)).not.toBeNull();
  });

  it("frees the lidar's wasm shapes with the episode (reset, restore, close)", async () => {
    const env = await makeEnv(variant((s) => (s.world.obstacle_count = [8, 8])));
    type Freed = { __wbg_ptr: number };
    const sections = (): Freed[] => {
      const lidar = (
        env as unknown as { episode: { instance: { lidar: { targets: { sections: ({ ball: Freed } | null)[] } } } } }
      ).episode.instance.lidar;
      return lidar.targets.sections.filter((x) => x !== null).map((x) => x!.ball);
    };
    // A layout with cylinders: each gets a ball shape in wasm memory.
    let seed = 0;
    for (env.reset({ seed }); sections().length === 0; ) env.reset({ seed: ++seed });
    const state = env.getState();
    const live = (b: Freed) => b.__wbg_ptr !== 0;
    for (const [what, next] of [
      ['reset', () => env.reset({ seed })],
      ['setState', () => env.setState(state)],
      ['close', () => env.close()],
    ] as const) {
      const held = sections();
      expect(held.length).toBeGreaterThan(0);
      expect(held.every(live)).toBe(true);
      next();
      expect(held.some(live), `freed by ${what}`).toBe(false);
    }
  });

  it('describes the scene and refuses a foreign state on restore', async () => {
    const env = await makeEnv();
    env.reset({ seed: 2 });
    const ids = env.scene().map((p) => p.id);
    const { layout } = env.privileged() as NavigatePrivileged;
    expect(ids).toEqual(
      expect.arrayContaining([
        'floor',
        'wall-0',
        'wall-3',
        'obstacle-0',
        `obstacle-${layout.obstacles.length - 1}`,
        'goal',
        'robot',
      ]),
    );
    const state = env.getState();
    expect(() => env.setState({ ...state, task: { nope: 1 } })).toThrow(/taskState\(\) of a navigate episode/);
  });
});

describe.each(['rapier', 'mujoco'] as const)('per-wheel and per-body knobs (%s)', (engine) => {
  const empty = variant((s) => (s.world.obstacle_count = [0, 0]));
  let mj: Mujoco;
  async function knobEnv(): Promise<TaskEnv> {
    if (engine === 'rapier') return makeEnv(empty);
    mj ??= await loadMujoco();
    const env = new TaskEnv(new MujocoEngine(mj), empty);
    envs.push(env);
    return env;
  }
  /** A seed whose base has 1.2 m free ahead (the lidar's beam 0). */
  let seed = -1;
  async function freeAhead(env: TaskEnv): Promise<number> {
    if (seed < 0) for (seed = 0; env.reset({ seed }).obs[0] < 1.2; ) seed++;
    return seed;
  }
  /** Heading change, forward speed after the first step, and distance after 10 steps of one command. */
  async function drive(physics: Partial<PhysicsParams>, action = [1, 0]) {
    const env = await knobEnv();
    env.reset({ seed: await freeAhead(env), options: { physics } });
    const p0 = env.privileged() as NavigatePrivileged;
    const first = env.step(action);
    for (let t = 1; t < 10; t++) env.step(action);
    const p = env.privileged() as NavigatePrivileged;
    const dyaw = Math.atan2(Math.sin(p.pose.yaw - p0.pose.yaw), Math.cos(p.pose.yaw - p0.pose.yaw));
    return {
      dyaw,
      v1: first.obs[RAYS + 3],
      dist: Math.hypot(p.pose.x - p0.pose.x, p.pose.y - p0.pose.y),
      obs: bytes(env.step(action).obs),
    };
  }

  it('nominal values ([] / {} / 1 / 0) leave the base exactly as without them', async () => {
    const plain = await drive({}, [0.7, 0.4]);
    const spelled = await drive(
      {
        actuator_gain: [1, 1],
        actuator_damping: [1, 1],
        actuator_friction: [0, 0],
        actuator_backlash: [0, 0],
        body_friction: { floor: 1, wheels: 1, walls: 1, obstacles: 1 },
      },
      [0.7, 0.4],
    );
    expect(spelled.obs).toEqual(plain.obs);
    expect(plain.dist).toBeGreaterThan(0.3);
  });

  it.each([
    ['actuator_gain', [0.5, 1], [1, 0.5]],
    ['actuator_damping', [5, 1], [1, 5]],
    ['actuator_friction', [0.5, 0], [0, 0.5]],
    ['actuator_backlash', [0.1, 0], [0, 0.1]],
  ] as const)(
    '%s: a weaker or stickier left wheel curves a straight command left, the right one right',
    async (knob, left, right) => {
      const straight = await drive({});
      expect(Math.abs(straight.dyaw)).toBeLessThan(1e-3);
      const l = await drive({ [knob]: [...left] });
      const r = await drive({ [knob]: [...right] });
      expect(l.dyaw, 'left wheel hampered: counter-clockwise').toBeGreaterThan(0.05);
      expect(r.dyaw, 'right wheel hampered: clockwise').toBeLessThan(-0.05);
      expect(l.dyaw + r.dyaw, 'mirror images').toBeCloseTo(0, 2);
    },
  );

  it('actuator_backlash: commands inside the dead band do not move the wheels', async () => {
    // 0.25 m/s straight ahead, both wheels' dead band 0.3 m/s.
    expect((await drive({ actuator_backlash: [0.3, 0.3] }, [0.5, 0])).dist).toBeLessThan(1e-3);
    expect((await drive({ actuator_backlash: [0.1, 0.1] }, [0.5, 0])).dist).toBeGreaterThan(0.1);
  });

  it.each(['floor', 'wheels'])('body_friction.%s scales the traction', async (body) => {
    const nominal = await drive({});
    const slippery = await drive({ body_friction: { [body]: 0.1 } });
    expect(slippery.v1).toBeLessThan(0.3 * nominal.v1);
    expect(Math.abs(slippery.dyaw)).toBeLessThan(1e-3);
  });

  it.each(['walls', 'obstacles'] as const)(
    'body_friction.%s scales the friction of those bodies only',
    async (body) => {
      const sc = variant((s) => (s.world.obstacle_count = [3, 3]));
      type Coefficients = Record<'walls' | 'obstacles', number[]>;
      const coefficients = async (scale: number): Promise<Coefficients> => {
        const physics = { body_friction: { [body]: scale } };
        if (engine === 'rapier') {
          const env = await makeEnv(sc);
          env.reset({ seed: 1, options: { physics } });
          const { layout } = env.privileged() as NavigatePrivileged;
          const out: Coefficients = { walls: [], obstacles: [] };
          env.physicsWorld.forEachCollider((c) => {
            if (c.parent()?.isDynamic()) return;
            const t = c.translation();
            const isWall = layout.walls.some((w) => Math.hypot(w.x - t.x, w.y - t.y) < 1e-5);
            (isWall ? out.walls : out.obstacles).push(c.friction());
          });
          return out;
        }
        mj ??= await loadMujoco();
        const { xml } = navigateMujoco.build(
          sc,
          { ...nominalPhysics(), ...physics },
          new Rng(1),
          defaultMujocoSettings(),
          0.01,
        );
        const model = compileMjcf(mj, xml);
        try {
          const mu = (name: string) =>
            (model.geom_friction as Float64Array)[3 * mj.mj_name2id(model, mj.mjtObj.mjOBJ_GEOM.value, name)];
          return {
            walls: [0, 1, 2, 3].map((i) => mu(`wall-${i}`)),
            obstacles: [0, 1, 2].map((i) => mu(`obstacle-${i}`)),
          };
        } finally {
          model.delete();
        }
      };
      const nominal = await coefficients(1);
      const scaled = await coefficients(0.25);
      const other = body === 'walls' ? 'obstacles' : 'walls';
      expect(nominal[body].length).toBeGreaterThan(0);
      scaled[body].forEach((m, i) => expect(m).toBeCloseTo(0.25 * nominal[body][i], 9));
      expect(scaled[other]).toEqual(nominal[other]);
    },
  );
});
