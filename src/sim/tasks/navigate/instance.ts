/**
 * One navigate episode whatever the engine: observation, scoring, the planar contact check,
 * privileged state and scene, over a drive base and a lidar that an engine provides (Rapier:
 * robot.ts and lidar.ts; MuJoCo: mujoco-base.ts and mujoco-lidar.ts). The table of components,
 * terms and termination is in task.ts.
 */
import { bounds } from '../../contract.js';
import type { Json } from '../../env.js';
import type { NavigateScenario } from '../../scenario-schema.js';
import type { Evaluation, ScenePrimitive, TaskInstance } from '../../task.js';
import type { Layout, Pose2, StaticShapes } from './geometry.js';
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

/** The differential-drive base in some engine: velocity commands in, planar pose and velocities out. */
export interface DriveBase {
  /** Pose and base-frame velocities from the last readState() (x, y also from readPosition()). */
  x: number;
  y: number;
  /** Height of the base centre, m: the lidar's scan plane. */
  z: number;
  cosYaw: number;
  sinYaw: number;
  /** Forward speed, m/s, and yaw rate, rad/s. */
  v: number;
  w: number;
  /** Planar speed, m/s. */
  speed: number;
  /** Bound on the planar acceleration without contacts, m/s². */
  readonly maxAccel: number;
  /** The velocity command in force, after the robot's limits (physical units). */
  cmdV: number;
  cmdW: number;
  /** Set the velocity targets (physical units), clamped to the robot's limits. */
  command(v: number, w: number): void;
  /** Before each physics substep (a controller running at the physics rate, if the engine needs one). */
  drive(dt: number): void;
  /** Read the planar position only (cheap: the per-substep contact check). */
  readPosition(): void;
  readState(): void;
}

/** A planar lidar: `rays` ranges from (x, y, z) with heading (c, s) = (cos yaw, sin yaw), beam 0 ahead, CCW. */
export interface RangeScanner {
  readonly rays: number;
  scan(x: number, y: number, z: number, c: number, s: number, out: Float32Array, offset: number): void;
  /** Free what the scanner holds outside JavaScript. */
  dispose(): void;
}

/** Episode progress every engine's task state carries. */
export interface NavigateProgress {
  layout: Layout;
  cmd: [number, number];
  /** Goal distance at the end of the last control step (null: not measured yet). */
  prevDist: number | null;
  collided: boolean;
}

export abstract class NavigateEpisode implements TaskInstance {
  protected prevDist: number;
  protected collided: boolean;
  private readonly obsLow: Float32Array;
  private readonly obsHigh: Float32Array;
  private readonly collideAt: number;
  private readonly controlPeriod: number;
  private checkSubsteps = true;
  /** The shapes the base can reach this control step (indices into `shapes`), and how many. */
  private readonly near: Int32Array;
  private nearCount: number;

  constructor(
    protected readonly sc: NavigateScenario,
    protected readonly layout: Layout,
    /** The walls and obstacles (layout order). */
    protected readonly shapes: StaticShapes,
    protected readonly base: DriveBase,
    protected readonly lidar: RangeScanner,
    st: NavigateProgress,
  ) {
    this.base.cmdV = st.cmd[0];
    this.base.cmdW = st.cmd[1];
    this.near = Int32Array.from({ length: shapes.count }, (_, i) => i);
    this.nearCount = shapes.count;
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
    // without contact it moves at most (|v| + a_max·T)·T.
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

  /** Contact the planar check cannot see (the engine's own contacts with things the task did not build). */
  protected otherContact(): boolean {
    return false;
  }

  evaluate(): Evaluation {
    this.base.readPosition();
    const dist = this.goalDistance();
    const progress = this.prevDist - dist;
    this.prevDist = dist;
    if (!this.collided && this.otherContact()) this.collided = true;
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

  /** The progress part of taskState(), as plain data. */
  protected progress(): NavigateProgress {
    return {
      layout: this.layout,
      cmd: [this.base.cmdV, this.base.cmdW],
      prevDist: this.prevDist,
      collided: this.collided,
    };
  }

  abstract taskState(): Json;
}

/** A restored episode's state, or an error naming every field a navigate task state of this engine needs. */
export function parseProgress<T extends NavigateProgress>(
  state: unknown,
  extra: Readonly<Record<string, 'number' | 'array'>>,
): T {
  const s = state as (Partial<NavigateProgress> & Record<string, unknown>) | null;
  const ok =
    !!s &&
    typeof s === 'object' &&
    Object.entries(extra).every(([k, kind]) => (kind === 'array' ? Array.isArray(s[k]) : typeof s[k] === 'number')) &&
    !!s.layout &&
    Array.isArray(s.cmd);
  if (!ok) {
    const fields = [...Object.keys(extra), 'layout', 'cmd', 'prevDist', 'collided'];
    throw new Error(`navigate: restore() needs the taskState() of a navigate episode (${fields.join(', ')})`);
  }
  // A copy: the episode keeps its layout object for its whole life, whatever the caller does with theirs.
  return { ...s, layout: JSON.parse(JSON.stringify(s.layout)) as Layout } as T;
}
