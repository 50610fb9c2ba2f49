/**
 * navigate — drive a differential-drive base through a walled arena with random obstacles to a goal.
 *
 * Observation (contract order; N = robot.lidar_rays, defaults from scenarios/navigate-obstacles.yaml)
 * | name         | size | unit  | range          | meaning                                                  |
 * |--------------|------|-------|----------------|----------------------------------------------------------|
 * | lidar        | N    | m     | [0, max_range] | planar ranges from the base centre, beam 0 ahead, CCW    |
 * |              |      |       |                | (robot.lidar_backend: Rapier castRay or exact geometry)  |
 * | goal_dist    | 1    | m     | [0, 6]         | distance from the base centre to the goal                |
 * | goal_dir     | 2    | 1     | [-1, 1]        | sin, cos of the goal bearing in the base frame           |
 * | base_lin_vel | 1    | m/s   | [-1, 1]        | forward speed of the base                                |
 * | base_ang_vel | 1    | rad/s | [-4, 4]        | yaw rate of the base                                     |
 * Every component is clipped to the scenario contract's range.
 *
 * Action (normalised to [-1, 1] by TaskEnv from the contract's ranges; safe action [0, 0] = stop)
 * | name    | size | unit  | range        | meaning                                |
 * |---------|------|-------|--------------|----------------------------------------|
 * | lin_vel | 1    | m/s   | [-0.5, 0.5]  | commanded forward speed                |
 * | ang_vel | 1    | rad/s | [-2, 2]      | commanded yaw rate (counter-clockwise) |
 * A velocity loop at the physics rate tracks them with equivalent forces (navigate-robot.ts).
 *
 * Reward terms (raw; weights in the scenario's `reward:` block)
 * | term      | value                                          |
 * |-----------|------------------------------------------------|
 * | progress  | decrease of the goal distance this step, m     |
 * | collision | 1 once the base has touched a wall/obstacle     |
 * | success   | 1 on the step the goal is reached              |
 * | time      | 1 every step (weight it negative)              |
 *
 * Start state: 4 walls around an arena_size² arena; obstacle_count boxes/cylinders of random size,
 * yaw and position (× object_size, displaced object_pose m); base at rest at a random pose and a
 * goal, both >= radius + start_clearance from every surface, >= min_goal_distance apart, with the
 * goal reachable by A* on the grid inflated by radius + clearance (else the layout is re-drawn).
 * Termination: success when the base centre is within success.goal_radius of the goal; failure
 * when the base comes within robot.contact_margin of a wall or obstacle (checked after every
 * substep against the shapes within reach; when the world holds colliders the task did not build,
 * also Rapier's contacts once per control step). Time limit: a wrapper (episode.max_steps).
 */
import { bounds } from '../../contract.js';
import type { Json } from '../../env.js';
import type { PhysicsParams } from '../../physics-params.js';
import type { Collider, Rapier, World } from '../../rapier.js';
import type { TempContactManifold } from '@dimforge/rapier3d-simd-compat';
import type { NavigateScenario } from '../../scenario-schema.js';
import type { Evaluation, LayoutEntry, ScenePrimitive, TaskDef, TaskInstance } from '../../task.js';
import { StaticShapes, type Layout, type Pose2, type Primitive } from './geometry.js';
import { sampleLayout } from './layout.js';
import { Lidar } from './lidar.js';
import { rawSets, type RawColliderSet } from '../../rapier-raw.js';
import { DiffDriveBase, buildBase } from './robot.js';
import { buildScene } from './scene.js';

/** What the expert sees (TaskEnv.privileged()). `layout` is the same object for a whole episode. */
export type NavigatePrivileged = {
  layout: Layout;
  pose: Pose2;
  /** Forward speed (m/s) and yaw rate (rad/s). */
  v: number;
  w: number;
  radius: number;
  goalRadius: number;
};

/** Task state beyond the Rapier snapshot (taskState()/restore()). */
type NavigateState = {
  body: number;
  collider: number;
  layout: Layout;
  cmd: [number, number];
  prev: [number, number];
  prevDist: number;
  collided: boolean;
};

function obsLayout(sc: NavigateScenario): LayoutEntry[] {
  return [
    { name: 'lidar', size: sc.robot.lidar_rays },
    { name: 'goal_dist', size: 1 },
    { name: 'goal_dir', size: 2 },
    { name: 'base_lin_vel', size: 1 },
    { name: 'base_ang_vel', size: 1 },
  ];
}

/** Fixed colliders for walls and obstacles (no bodies: attached to the ground). */
function buildStatics(R: Rapier, world: World, sc: NavigateScenario, params: PhysicsParams, layout: Layout): void {
  const friction = sc.world.friction * params.friction;
  const add = (p: Primitive, height: number) => {
    const desc =
      p.kind === 'box'
        ? R.ColliderDesc.cuboid(p.hx, p.hy, height / 2).setRotation({
            x: 0,
            y: 0,
            z: Math.sin(p.yaw / 2),
            w: Math.cos(p.yaw / 2),
          })
        : R.ColliderDesc.cylinder(height / 2, p.r).setRotation({ x: Math.SQRT1_2, y: 0, z: 0, w: Math.SQRT1_2 });
    world.createCollider(
      desc
        .setTranslation(p.x, p.y, height / 2)
        .setFriction(friction)
        .setRestitution(params.restitution),
    );
  };
  for (const p of layout.walls) add(p, sc.world.wall_height);
  for (const p of layout.obstacles) add(p, sc.world.obstacle_height);
}

class NavigateInstance implements TaskInstance {
  private readonly base: DiffDriveBase;
  private readonly lidar: Lidar;
  private readonly shapes: StaticShapes;
  private readonly obsLow: Float32Array;
  private readonly obsHigh: Float32Array;
  private readonly collideAt: number;
  private readonly controlPeriod: number;
  private prevDist: number;
  private collided: boolean;
  private checkSubsteps = true;
  /** The shapes the base can reach this control step (indices into `shapes`), and how many. */
  private readonly near: Int32Array;
  private nearCount: number;
  private readonly rawColliders: RawColliderSet;
  /** Walls, obstacles and the base. */
  private readonly builtColliders: number;

  constructor(
    R: Rapier,
    private readonly world: World,
    private readonly sc: NavigateScenario,
    params: PhysicsParams,
    private readonly layout: Layout,
    private readonly handles: { body: number; collider: number },
    st: { cmd: [number, number]; prev: [number, number]; prevDist: number | null; collided: boolean },
  ) {
    this.base = new DiffDriveBase(R, world, handles, sc, params);
    this.base.cmdV = st.cmd[0];
    this.base.cmdW = st.cmd[1];
    this.base.prevV = st.prev[0];
    this.base.prevW = st.prev[1];
    this.shapes = new StaticShapes([...layout.walls, ...layout.obstacles]);
    this.near = Int32Array.from({ length: this.shapes.count }, (_, i) => i);
    this.nearCount = this.shapes.count;
    this.rawColliders = rawSets(world).colliders;
    this.builtColliders = layout.walls.length + layout.obstacles.length + 1;
    this.lidar = new Lidar(
      R,
      world,
      this.base.collider,
      sc.robot.lidar_rays,
      sc.robot.lidar_max_range,
      sc.robot.lidar_backend,
      this.shapes,
    );
    ({ low: this.obsLow, high: this.obsHigh } = bounds(sc.contract.obs));
    this.collideAt = sc.robot.radius + sc.robot.contact_margin;
    this.controlPeriod = 1 / sc.control.rate_hz;
    this.collided = st.collided;
    this.base.readPosition();
    this.prevDist = st.prevDist ?? this.goalDistance();
  }

  private goalDistance(): number {
    const dx = this.layout.goal.x - this.base.x;
    const dy = this.layout.goal.y - this.base.y;
    return Math.sqrt(dx * dx + dy * dy);
  }

  applyAction(action: Float32Array): void {
    this.base.command(action[0], action[1]);
    this.planContactChecks();
  }

  /** A step without a new command still needs its contact checks planned from where the base is now. */
  resync(): void {
    this.planContactChecks();
  }

  private planContactChecks(): void {
    // Skip the per-substep contact checks this control step when the base cannot reach anything:
    // without contact it moves at most (|v| + a_max·T)·T, a_max = traction/m + g (any tilt).
    this.base.readState();
    const T = this.controlPeriod;
    const reach = (this.base.speed + this.base.maxAccel * T) * T + 0.01;
    // Only the shapes within reach can be touched this control step: the substeps check those.
    this.nearCount = this.shapes.within(this.base.x, this.base.y, this.collideAt + reach, this.near);
    this.checkSubsteps = this.collided || this.nearCount > 0;
  }

  beforeSubstep(dt: number): void {
    this.base.drive(dt);
  }

  afterSubstep(): void {
    if (this.collided || !this.checkSubsteps) return;
    this.base.readPosition();
    if (this.shapes.distanceAmong(this.near, this.nearCount, this.base.x, this.base.y) < this.collideAt)
      this.collided = true;
  }

  /** Rapier's view: any contact point of the base closer than the margin (catches shapes we did not build). */
  private rapierContact(): boolean {
    // With only the colliders this task built (the walls, the obstacles and the base), the exact
    // planar distance already decided contact; Rapier's contact graph is asked only when more exist.
    if (this.rawColliders.len() === this.builtColliders) return false;
    this.contactHit = false;
    this.world.contactPairsWith(this.base.collider, this.onContactPair);
    return this.contactHit;
  }

  // Callbacks made once: closures per control step would be garbage on every step.
  private contactHit = false;
  private readonly onManifold = (m: TempContactManifold): void => {
    // A solver contact means Rapier is keeping the shapes apart: touching. The reported distance
    // alone misses some (a cylinder against a ball reads ~2 cm while they press on each other).
    if (m.numSolverContacts() > 0) this.contactHit = true;
    const margin = this.sc.robot.contact_margin;
    for (let i = 0; i < m.numContacts(); i++) if (m.contactDist(i) <= margin) this.contactHit = true;
  };
  private readonly onContactPair = (other: Collider): void => {
    if (!this.contactHit) this.world.contactPair(this.base.collider, other, this.onManifold);
  };

  evaluate(): Evaluation {
    this.base.readPosition();
    const dist = this.goalDistance();
    const progress = this.prevDist - dist;
    this.prevDist = dist;
    if (!this.collided && this.rapierContact()) this.collided = true;
    const collision = this.collided;
    const success = !collision && dist <= this.sc.success.goal_radius;
    return {
      terms: { progress, collision: collision ? 1 : 0, success: success ? 1 : 0, time: 1 },
      terminated: collision || success,
      success,
    };
  }

  observe(out: Float32Array): void {
    const b = this.base;
    b.readState();
    const rays = this.lidar.rays;
    this.lidar.scan(b.x, b.y, b.z, b.cosYaw, b.sinYaw, out, 0);
    const dx = this.layout.goal.x - b.x;
    const dy = this.layout.goal.y - b.y;
    const gx = b.cosYaw * dx + b.sinYaw * dy;
    const gy = -b.sinYaw * dx + b.cosYaw * dy;
    const dist = Math.sqrt(gx * gx + gy * gy);
    out[rays] = dist;
    out[rays + 1] = dist > 1e-9 ? gy / dist : 0;
    out[rays + 2] = dist > 1e-9 ? gx / dist : 1;
    out[rays + 3] = b.v;
    out[rays + 4] = b.w;
    const lo = this.obsLow;
    const hi = this.obsHigh;
    for (let i = 0; i < out.length; i++) {
      if (out[i] < lo[i]) out[i] = lo[i];
      else if (out[i] > hi[i]) out[i] = hi[i];
    }
  }

  privileged(): NavigatePrivileged {
    const b = this.base;
    b.readState();
    return {
      layout: this.layout,
      pose: { x: b.x, y: b.y, yaw: Math.atan2(b.sinYaw, b.cosYaw) },
      v: b.v,
      w: b.w,
      radius: this.sc.robot.radius,
      goalRadius: this.sc.success.goal_radius,
    };
  }

  scene(): ScenePrimitive[] {
    this.base.readState();
    return buildScene(this.sc, this.layout, this.base);
  }

  dispose(): void {
    this.lidar.dispose();
  }

  taskState(): Json {
    const st: NavigateState = {
      body: this.handles.body,
      collider: this.handles.collider,
      layout: this.layout,
      cmd: [this.base.cmdV, this.base.cmdW],
      prev: [this.base.prevV, this.base.prevW],
      prevDist: this.prevDist,
      collided: this.collided,
    };
    return JSON.parse(JSON.stringify(st)) as Json;
  }
}

function parseState(state: unknown): NavigateState {
  const s = state as Partial<NavigateState> | null;
  if (
    !s ||
    typeof s !== 'object' ||
    typeof s.body !== 'number' ||
    typeof s.collider !== 'number' ||
    !s.layout ||
    !Array.isArray(s.cmd) ||
    !Array.isArray(s.prev)
  ) {
    throw new Error(
      'navigate: restore() needs the taskState() of a navigate episode (body, collider, layout, cmd, prev, prevDist, collided)',
    );
  }
  return s as NavigateState;
}

export const navigateTask: TaskDef<NavigateScenario> = {
  kind: 'navigate',
  rewardTerms: ['progress', 'collision', 'success', 'time'],
  obsLayout,
  actionLayout: () => [
    { name: 'lin_vel', size: 1 },
    { name: 'ang_vel', size: 1 },
  ],
  create(R, world, sc, params, rng) {
    const layout = sampleLayout(sc, params, rng);
    buildStatics(R, world, sc, params, layout);
    // Scene queries (the lidar's castRay) only see colliders after a step has updated the broad
    // phase; a step with nothing dynamic in the world does that without changing any state.
    world.step();
    const handles = buildBase(R, world, sc, params, layout.start);
    return new NavigateInstance(R, world, sc, params, layout, handles, {
      cmd: [0, 0],
      prev: [0, 0],
      prevDist: null,
      collided: false,
    });
  },
  restore(R, world, sc, params, state) {
    const s = parseState(state);
    const layout = JSON.parse(JSON.stringify(s.layout)) as Layout;
    return new NavigateInstance(R, world, sc, params, layout, { body: s.body, collider: s.collider }, s);
  },
};
