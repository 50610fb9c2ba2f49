/**
 * The navigation expert's planner and path follower.
 *
 * Plan (once per episode): a clearance grid of the known map and a Dijkstra cost-to-go field from
 * the goal (A* towards every cell at once) in which cells near obstacles cost more, so the cheapest
 * paths run down the middle of gaps. Because the field covers every cell, the action is a function
 * of the current pose alone (no stored path, no re-planning), which a behaviour-cloning student
 * can imitate and which recovers from any disturbance.
 * Follow (every step): descend the field from a point just ahead of the base, pick the farthest
 * point within the lookahead that is in line of sight with margin (pure-pursuit carrot), steer at
 * it with a heading controller, slow down when the heading error is large, near obstacles and near
 * the goal.
 */
import { StaticShapes, wrapAngle, type Layout, type Pose2 } from './geometry.js';
import { ClearanceGrid, costToGo } from './grid.js';

export type FollowerConfig = {
  /** Base radius, m. */
  radius: number;
  maxSpeed: number;
  maxYawRate: number;
  gridResolution: number;
  /** Cells closer than radius + hardMargin to a surface are impassable for the planner. */
  hardMargin: number;
  /** Cells closer than radius + softMargin cost extra (weight × normalised squared intrusion). */
  softMargin: number;
  softWeight: number;
  /** Pure-pursuit lookahead, m. */
  lookahead: number;
  /** The path is traced from this far ahead of the base centre along its heading, m. */
  noseOffset: number;
  /** Carrot: farthest point in line of sight (true) or the point one lookahead along the path. */
  lineOfSight: boolean;
  /** Line-of-sight checks keep radius + losMargin from every surface. */
  losMargin: number;
  /** Cruise speed as a fraction of maxSpeed (headroom for action noise). */
  cruise: number;
  /** Heading gain, (rad/s) per rad. */
  headingGain: number;
  /** Above this heading error (rad) the base turns in place. */
  turnInPlace: number;
};

export const DEFAULT_FOLLOWER: Omit<FollowerConfig, 'radius' | 'maxSpeed' | 'maxYawRate' | 'gridResolution'> = {
  hardMargin: 0.02,
  softMargin: 0.4,
  softWeight: 6,
  lookahead: 0.6,
  noseOffset: 0.2,
  lineOfSight: true,
  losMargin: 0.05,
  cruise: 0.9,
  headingGain: 3,
  turnInPlace: 1.0,
};

export class NavigationPlan {
  readonly grid: ClearanceGrid;
  readonly cost: Float64Array;
  private readonly shapes: StaticShapes;
  private readonly trace: number[] = [];

  constructor(
    readonly layout: Layout,
    private readonly cfg: FollowerConfig,
  ) {
    const prims = [...layout.walls, ...layout.obstacles];
    this.shapes = new StaticShapes(prims);
    this.grid = new ClearanceGrid(
      prims,
      layout.half,
      cfg.gridResolution,
      cfg.radius + cfg.softMargin + cfg.gridResolution,
    );
    const goal = this.grid.cellOf(layout.goal.x, layout.goal.y);
    this.cost = costToGo(this.grid, goal, cfg.radius + cfg.hardMargin, cfg.radius + cfg.softMargin, cfg.softWeight);
  }

  /** Exact free space around a point, m (negative inside a shape). */
  clearance(x: number, y: number): number {
    return this.shapes.distance(x, y) - this.cfg.radius;
  }

  private lineOfSight(x0: number, y0: number, x1: number, y1: number): boolean {
    const len = Math.hypot(x1 - x0, y1 - y0);
    const n = Math.max(1, Math.ceil(len / (0.5 * this.cfg.gridResolution)));
    for (let i = 1; i <= n; i++) {
      const t = i / n;
      if (this.clearance(x0 + t * (x1 - x0), y0 + t * (y1 - y0)) < this.cfg.losMargin) return false;
    }
    return true;
  }

  /** The robot's cell, or the cheapest reachable cell nearby when it stands in an impassable one. */
  private startCell(x: number, y: number): number {
    const g = this.grid;
    const k = g.cellOf(x, y);
    if (this.cost[k] < Infinity) return k;
    let best = k;
    let bestScore = Infinity;
    const n = g.n;
    const i0 = k % n;
    const j0 = (k - i0) / n;
    for (let dj = -4; dj <= 4; dj++) {
      for (let di = -4; di <= 4; di++) {
        const i = i0 + di;
        const j = j0 + dj;
        if (i < 0 || j < 0 || i >= n || j >= n) continue;
        const m = j * n + i;
        const score = this.cost[m] + Math.hypot(di, dj) * g.res * 10;
        if (score < bestScore) {
          bestScore = score;
          best = m;
        }
      }
    }
    return best;
  }

  /** The pure-pursuit target point for a robot at (x, y) heading yaw. */
  carrot(x: number, y: number, yaw: number): { x: number; y: number } {
    const { goal } = this.layout;
    const g = this.grid;
    const L = this.cfg.lookahead;
    if (Math.hypot(goal.x - x, goal.y - y) <= L && this.lineOfSight(x, y, goal.x, goal.y)) return goal;
    // Descend the cost-to-go field for a little more than the lookahead, starting a little ahead of
    // the base: where two ways around an obstacle cost about the same, the heading picks the side
    // (observable from the lidar, and no dithering), instead of a global tie the student cannot see.
    const trace = this.trace;
    trace.length = 0;
    const nose = g.cellOf(x + this.cfg.noseOffset * Math.cos(yaw), y + this.cfg.noseOffset * Math.sin(yaw));
    let k =
      this.cost[nose] < Infinity && this.clearance(g.cx(nose), g.cy(nose)) > this.cfg.losMargin
        ? nose
        : this.startCell(x, y);
    const maxCells = Math.ceil((1.5 * L) / g.res);
    for (let s = 0; s < maxCells; s++) {
      let next = -1;
      let best = this.cost[k];
      g.neighbours(k, (m) => {
        if (this.cost[m] < best) {
          best = this.cost[m];
          next = m;
        }
      });
      if (next < 0) break;
      trace.push(next);
      k = next;
    }
    if (trace.length === 0) return goal;
    if (!this.cfg.lineOfSight) {
      // The traced point one lookahead along the path (moves smoothly with the robot).
      let arc = Math.hypot(g.cx(trace[0]) - x, g.cy(trace[0]) - y);
      for (let i = 1; i < trace.length; i++) {
        arc += Math.hypot(g.cx(trace[i]) - g.cx(trace[i - 1]), g.cy(trace[i]) - g.cy(trace[i - 1]));
        if (arc >= L) return { x: g.cx(trace[i]), y: g.cy(trace[i]) };
      }
      const last = trace[trace.length - 1];
      return { x: g.cx(last), y: g.cy(last) };
    }
    // Farthest traced point within the lookahead that is in line of sight.
    let pick = trace[0];
    for (let i = trace.length - 1; i >= 0; i--) {
      const px = g.cx(trace[i]);
      const py = g.cy(trace[i]);
      if (Math.hypot(px - x, py - y) > L) continue;
      if (this.lineOfSight(x, y, px, py)) {
        pick = trace[i];
        break;
      }
    }
    return { x: g.cx(pick), y: g.cy(pick) };
  }

  /** Forward speed (m/s) and yaw rate (rad/s) for the robot at `pose`. */
  command(pose: Pose2): [number, number] {
    const c = this.cfg;
    const target = this.carrot(pose.x, pose.y, pose.yaw);
    const dGoal = Math.hypot(this.layout.goal.x - pose.x, this.layout.goal.y - pose.y);
    const alpha = wrapAngle(Math.atan2(target.y - pose.y, target.x - pose.x) - pose.yaw);
    const w = clamp(c.headingGain * alpha, -c.maxYawRate, c.maxYawRate);
    const heading = clamp((Math.cos(alpha) - Math.cos(c.turnInPlace)) / (1 - Math.cos(c.turnInPlace)), 0, 1);
    const free = clamp(this.clearance(pose.x, pose.y) / 0.3, 0.35, 1);
    const approach = clamp(1.2 * dGoal, 0.3, 1);
    const v = c.cruise * c.maxSpeed * heading * free * approach;
    return [v, w];
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
