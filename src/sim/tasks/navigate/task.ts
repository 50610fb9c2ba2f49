/**
 * navigate — drive a differential-drive base through a walled arena with random obstacles to a goal.
 *
 * Observation (contract order; N = robot.lidar_rays, defaults from scenarios/navigate-obstacles.yaml)
 * | name         | size | unit  | range          | meaning                                                  |
 * |--------------|------|-------|----------------|----------------------------------------------------------|
 * | lidar        | N    | m     | [0, max_range] | planar ranges from the base centre, beam 0 ahead, CCW    |
 * |              |      |       |                | (robot.lidar_backend: Rapier castRay or exact geometry;  |
 * |              |      |       |                | MuJoCo: its ray casts)                                   |
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
 * A velocity loop at the physics rate tracks them with equivalent forces (robot.ts); in MuJoCo,
 * two wheels with velocity actuators do (mujoco.ts).
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
 *
 * Observation, scoring and the contact check are shared with the MuJoCo task (instance.ts); this
 * file builds the Rapier world.
 */
import type { Json } from '../../env.js';
import { bodyFriction, type PhysicsParams } from '../../physics-params.js';
import type { Collider, Rapier, World } from '../../rapier.js';
import type { TempContactManifold } from '@dimforge/rapier3d-simd-compat';
import type { NavigateScenario } from '../../scenario-schema.js';
import type { LayoutEntry, TaskDef } from '../../task.js';
import { StaticShapes, type Layout, type Primitive } from './geometry.js';
import { NavigateEpisode, parseProgress, type NavigateProgress } from './instance.js';
import { sampleLayout } from './layout.js';
import { Lidar } from './lidar.js';
import { rawSets, type RawColliderSet } from '../../rapier-raw.js';
import { DiffDriveBase, buildBase } from './robot.js';

export type { NavigatePrivileged } from './instance.js';

/** Task state beyond the Rapier snapshot (taskState()/restore()). */
type NavigateState = NavigateProgress & {
  body: number;
  collider: number;
  prev: [number, number];
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
  const add = (p: Primitive, height: number, bodyScale: number) => {
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
        .setFriction(friction * bodyScale)
        .setRestitution(params.restitution),
    );
  };
  const walls = bodyFriction(params, 'walls');
  const obstacles = bodyFriction(params, 'obstacles');
  for (const p of layout.walls) add(p, sc.world.wall_height, walls);
  for (const p of layout.obstacles) add(p, sc.world.obstacle_height, obstacles);
}

class NavigateInstance extends NavigateEpisode {
  private readonly rawColliders: RawColliderSet;
  /** Walls, obstacles and the base. */
  private readonly builtColliders: number;
  private readonly rapierBase: DiffDriveBase;

  constructor(
    R: Rapier,
    private readonly world: World,
    sc: NavigateScenario,
    params: PhysicsParams,
    layout: Layout,
    private readonly handles: { body: number; collider: number },
    st: NavigateProgress & { prev: [number, number] },
  ) {
    const base = new DiffDriveBase(R, world, handles, sc, params);
    base.prevV = st.prev[0];
    base.prevW = st.prev[1];
    const shapes = new StaticShapes([...layout.walls, ...layout.obstacles]);
    const lidar = new Lidar(
      R,
      world,
      base.collider,
      sc.robot.lidar_rays,
      sc.robot.lidar_max_range,
      sc.robot.lidar_backend,
      shapes,
    );
    super(sc, layout, shapes, base, lidar, st);
    this.rapierBase = base;
    this.rawColliders = rawSets(world).colliders;
    this.builtColliders = layout.walls.length + layout.obstacles.length + 1;
  }

  /** Rapier's view: any contact point of the base closer than the margin (catches shapes we did not build). */
  protected override otherContact(): boolean {
    // With only the colliders this task built (the walls, the obstacles and the base), the exact
    // planar distance already decided contact; Rapier's contact graph is asked only when more exist.
    if (this.rawColliders.len() === this.builtColliders) return false;
    this.contactHit = false;
    this.world.contactPairsWith(this.rapierBase.collider, this.onContactPair);
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
    if (!this.contactHit) this.world.contactPair(this.rapierBase.collider, other, this.onManifold);
  };

  taskState(): Json {
    const p = this.progress();
    const st: NavigateState = {
      body: this.handles.body,
      collider: this.handles.collider,
      layout: p.layout,
      cmd: p.cmd,
      prev: [this.rapierBase.prevV, this.rapierBase.prevW],
      prevDist: p.prevDist,
      collided: p.collided,
    };
    return JSON.parse(JSON.stringify(st)) as Json;
  }
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
      layout,
      cmd: [0, 0],
      prev: [0, 0],
      prevDist: null,
      collided: false,
    });
  },
  restore(R, world, sc, params, state) {
    const s = parseProgress<NavigateState>(state, { body: 'number', collider: 'number', prev: 'array' });
    return new NavigateInstance(R, world, sc, params, s.layout, { body: s.body, collider: s.collider }, s);
  },
};
