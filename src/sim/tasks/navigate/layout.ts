/**
 * Sampling an episode's arena: obstacles, start pose and goal, from the episode rng only, with the
 * goal guaranteed reachable (A* over the inflated occupancy grid; the whole layout is re-drawn from
 * the same rng until it is). Draw order is fixed, so a seed gives the same layout whatever the
 * physics scales do to obstacle sizes, up to the first re-draw.
 */
import type { Rng } from '../../rng.js';
import type { PhysicsParams } from '../../physics-params.js';
import type { NavigateScenario } from '../../scenario-schema.js';
import { StaticShapes, arenaWalls, type Layout, type Primitive } from './geometry.js';
import { ClearanceGrid, astar } from './grid.js';

const MAX_LAYOUT_TRIES = 500;
const MAX_POINT_TRIES = 60;

function sampleObstacle(sc: NavigateScenario, params: PhysicsParams, rng: Rng, half: number): Primitive {
  const [lo, hi] = sc.world.obstacle_size;
  const isBox = rng.next() < 0.5;
  const a = rng.uniform(lo, hi) * params.object_size;
  const b = rng.uniform(lo, hi) * params.object_size;
  const yaw = rng.uniform(-Math.PI, Math.PI);
  const margin = 0.5 * hi;
  let x = rng.uniform(-half + margin, half - margin);
  let y = rng.uniform(-half + margin, half - margin);
  // Extra displacement (PhysicsParams.object_pose, m) in a direction drawn even when unused.
  const dir = rng.uniform(0, 2 * Math.PI);
  x = clamp(x + params.object_pose * Math.cos(dir), -half, half);
  y = clamp(y + params.object_pose * Math.sin(dir), -half, half);
  return isBox ? { kind: 'box', x, y, yaw, hx: a / 2, hy: b / 2 } : { kind: 'cylinder', x, y, r: a / 2 };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** A point with at least `minClear` free space around it, or null after a bounded number of draws. */
function samplePoint(
  rng: Rng,
  shapes: StaticShapes,
  half: number,
  minClear: number,
  accept: (x: number, y: number) => boolean,
): { x: number; y: number } | null {
  for (let i = 0; i < MAX_POINT_TRIES; i++) {
    const x = rng.uniform(-half + minClear, half - minClear);
    const y = rng.uniform(-half + minClear, half - minClear);
    if (shapes.distance(x, y) >= minClear && accept(x, y)) return { x, y };
  }
  return null;
}

export function sampleLayout(sc: NavigateScenario, params: PhysicsParams, rng: Rng): Layout {
  const w = sc.world;
  const radius = sc.robot.radius;
  const half = w.arena_size / 2;
  const walls = arenaWalls(half, w.wall_thickness);
  const pathClear = radius + w.clearance;
  const pointClear = radius + Math.max(w.start_clearance, w.clearance);
  for (let attempt = 0; attempt < MAX_LAYOUT_TRIES; attempt++) {
    const count = rng.int(w.obstacle_count[0], w.obstacle_count[1]);
    const obstacles: Primitive[] = [];
    for (let i = 0; i < count; i++) obstacles.push(sampleObstacle(sc, params, rng, half));
    const prims = [...walls, ...obstacles];
    const shapes = new StaticShapes(prims);
    const start = samplePoint(rng, shapes, half, pointClear, () => true);
    const yaw = rng.uniform(-Math.PI, Math.PI);
    if (!start) continue;
    const goal = samplePoint(
      rng,
      shapes,
      half,
      pointClear,
      (x, y) => Math.hypot(x - start.x, y - start.y) >= w.min_goal_distance,
    );
    if (!goal) continue;
    const grid = new ClearanceGrid(prims, half, w.grid_resolution, pathClear + w.grid_resolution);
    if (!astar(grid, pathClear, grid.cellOf(start.x, start.y), grid.cellOf(goal.x, goal.y))) continue;
    return { half, walls, obstacles, start: { x: start.x, y: start.y, yaw }, goal };
  }
  throw new Error(
    `navigate: no reachable layout in ${MAX_LAYOUT_TRIES} draws; the arena (world.arena_size ${w.arena_size} m) is too crowded for ` +
      `world.obstacle_count ${JSON.stringify(w.obstacle_count)} and world.obstacle_size ${JSON.stringify(w.obstacle_size)} — shrink them or enlarge the arena`,
  );
}
