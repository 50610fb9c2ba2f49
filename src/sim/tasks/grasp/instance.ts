/**
 * One grasp episode on a plant (plant.ts: a Rapier world or a MuJoCo model): action → IK →
 * joint targets (through the backlash, if any), sensing, scoring. No per-substep hooks: the
 * motors run inside the engine, so a control step costs one sensing pass.
 */
import type { Evaluation, ScenePrimitive, TaskInstance } from '../../task.js';
import type { GraspScenario } from '../../scenario-schema.js';
import type { PhysicsParams } from '../../physics-params.js';
import type { Serialisable } from '../../env.js';
import { bounds } from '../../contract.js';
import {
  clampTarget,
  JOINT_AXES,
  jointAngle,
  qrot,
  solveIK,
  wrapHalf,
  wrapQuarter,
  type ArmGeometry,
} from './kinematics.js';
import { backlash, CUBE, FINGER_L, FINGER_R, N_BODIES, PALM, parts, type Part } from './parts.js';
import type { GraspPlant } from './plant.js';
import { takeUpPlay } from './backlash.js';
import { copyGraspState, type GraspEpisodeState } from './state.js';

/** Ground truth for the scripted expert (never part of the observation). */
export interface GraspPrivileged {
  tcp: [number, number, number];
  /** Gripper (finger-axis) yaw, rad, in [−π/2, π/2). */
  eeYaw: number;
  /** TCP target x, y, z, yaw target, commanded opening. */
  target: number[];
  opening: number;
  maxOpening: number;
  cube: [number, number, number];
  /** Cube yaw, rad (90° symmetric). */
  cubeYaw: number;
  cubeEdge: number;
  restZ: number;
  liftHeight: number;
  /** Lowest / highest TCP target height, m. */
  minZ: number;
  maxZ: number;
  maxYaw: number;
  fingerWidth: number;
  /** Cube between the pads and squeezed. */
  grasped: boolean;
  holdSteps: number;
  succeeded: boolean;
  dropped: boolean;
}

export class GraspInstance implements TaskInstance {
  private readonly q = new Float64Array(5);
  /** Backlash per arm joint (rad), or null when the episode has none. */
  private readonly play: number[] | null;
  /** Body poses: slot i at 7i (x, y, z, qx, qy, qz, qw); slot 0 (ground) stays identity. */
  private readonly pose = new Float64Array(N_BODIES * 7);
  private readonly tmp = new Float64Array(3);
  private readonly tcp = new Float64Array(3);
  private readonly jointPos = new Float64Array(5);
  private opening = 0;
  private eeYaw = 0;
  private cubeYaw = 0;
  private sensed = false;
  private readonly obsLow: Float32Array;
  private readonly obsHigh: Float32Array;
  private readonly holdNeeded: number;
  private successReported = false;
  private dropReported = false;

  constructor(
    private readonly plant: GraspPlant,
    private readonly sc: GraspScenario,
    params: PhysicsParams,
    private readonly g: ArmGeometry,
    private readonly s: GraspEpisodeState,
  ) {
    const play = backlash(params);
    this.play = play.some((b) => b > 0) ? play : null;
    if (this.play && !s.jointTargets) {
      // A state from before backlash was configured: the transmission sits at the current target.
      const t = s.target;
      solveIK(g, t[0], t[1], t[2], t[3], this.q);
      s.jointTargets = Array.from(this.q);
    }
    const ob = bounds(sc.contract.obs);
    this.obsLow = ob.low;
    this.obsHigh = ob.high;
    this.pose[6] = 1;
    this.holdNeeded = Math.max(1, Math.ceil(sc.success.hold_s * sc.control.rate_hz - 1e-9));
    this.successReported = s.succeeded;
    this.dropReported = s.dropped;
  }

  applyAction(a: Float32Array): void {
    const t = this.s.target;
    t[0] += a[0];
    t[1] += a[1];
    t[2] += a[2];
    t[3] += a[3];
    t[4] += a[4];
    clampTarget(this.sc.robot, this.g, t);
    solveIK(this.g, t[0], t[1], t[2], t[3], this.q);
    if (this.play) takeUpPlay(this.q, this.s.jointTargets!, this.play);
    this.plant.setTargets(this.q, t[4] / 2);
    this.sensed = false;
  }

  resync(): void {
    this.sensed = false;
  }

  /** Read every body pose once per control step and derive joint angles, TCP, yaws, opening. */
  private sense(): void {
    if (this.sensed) return;
    this.sensed = true;
    const P = this.pose;
    this.plant.readPoses(P);
    for (let i = 0; i < 5; i++) this.jointPos[i] = jointAngle(P, 7 * i + 3, P, 7 * (i + 1) + 3, JOINT_AXES[i]);
    const h = 7 * PALM;
    const hx = P[h + 3],
      hy = P[h + 4],
      hz = P[h + 5],
      hw = P[h + 6];
    qrot(hx, hy, hz, hw, 0, 0, this.g.tcpLocal, this.tcp);
    this.tcp[0] += P[h];
    this.tcp[1] += P[h + 1];
    this.tcp[2] += P[h + 2];
    // Finger-axis (palm x) direction in the world.
    const ax = 1 - 2 * (hy * hy + hz * hz);
    const ay = 2 * (hx * hy + hw * hz);
    this.eeYaw = wrapHalf(Math.atan2(ay, ax));
    // Opening: pad-to-pad distance along the finger axis.
    const az = 2 * (hx * hz - hw * hy);
    const fl = 7 * FINGER_L;
    const fr = 7 * FINGER_R;
    const sep = (P[fr] - P[fl]) * ax + (P[fr + 1] - P[fl + 1]) * ay + (P[fr + 2] - P[fl + 2]) * az;
    this.opening = Math.abs(sep) - this.g.fingerThickness;
    // Cube yaw from its x axis, or its y axis when the x axis points (nearly) up or down.
    const c = 7 * CUBE;
    const cx = P[c + 3],
      cy = P[c + 4],
      cz = P[c + 5],
      cw = P[c + 6];
    const xz = 2 * (cx * cz - cw * cy);
    this.cubeYaw =
      Math.abs(xz) < 0.7
        ? Math.atan2(2 * (cx * cy + cw * cz), 1 - 2 * (cy * cy + cz * cz))
        : Math.atan2(1 - 2 * (cx * cx + cz * cz), 2 * (cx * cy - cw * cz));
  }

  observe(out: Float32Array): void {
    this.sense();
    const P = this.pose;
    const c = 7 * CUBE;
    let k = 0;
    for (let i = 0; i < 5; i++) out[k++] = this.jointPos[i];
    out[k++] = this.opening;
    out[k++] = this.s.target[4];
    for (let i = 0; i < 3; i++) out[k++] = this.tcp[i];
    out[k++] = Math.sin(2 * this.eeYaw);
    out[k++] = Math.cos(2 * this.eeYaw);
    for (let i = 0; i < 3; i++) out[k++] = P[c + i];
    for (let i = 0; i < 3; i++) out[k++] = P[c + i] - this.tcp[i];
    out[k++] = Math.sin(4 * this.cubeYaw);
    out[k++] = Math.cos(4 * this.cubeYaw);
    out[k++] = wrapQuarter(this.cubeYaw - this.eeYaw);
    const lo = this.obsLow;
    const hi = this.obsHigh;
    for (let i = 0; i < k; i++) {
      if (out[i] < lo[i]) out[i] = lo[i];
      else if (out[i] > hi[i]) out[i] = hi[i];
    }
  }

  /** Cube between the pads (in the palm frame) and the fingers squeezing it. */
  private grasped(): boolean {
    const P = this.pose;
    const c = 7 * CUBE;
    const h = 7 * PALM;
    // Cube centre relative to the TCP, rotated into the palm frame (inverse palm rotation).
    qrot(
      -P[h + 3],
      -P[h + 4],
      -P[h + 5],
      P[h + 6],
      P[c] - this.tcp[0],
      P[c + 1] - this.tcp[1],
      P[c + 2] - this.tcp[2],
      this.tmp,
    );
    const e = this.s.edge;
    const between =
      Math.abs(this.tmp[0]) < this.opening / 2 + 0.002 &&
      Math.abs(this.tmp[1]) < this.g.fingerWidth / 2 + e / 2 &&
      Math.abs(this.tmp[2]) < this.g.fingerLength / 2;
    return between && this.opening > 0.8 * e && this.opening < 1.45 * e && this.s.target[4] < this.opening - 0.002;
  }

  evaluate(): Evaluation {
    this.sense();
    const s = this.s;
    const P = this.pose;
    const c = 7 * CUBE;
    const cx = P[c],
      cy = P[c + 1],
      cz = P[c + 2];
    const w = this.sc.world;
    const lift = cz - s.restZ;
    const liftHeight = this.sc.success.lift_height;
    if (!s.succeeded && !s.dropped) {
      const offTable =
        Math.abs(cx - w.table.center[0]) > w.table.size[0] / 2 ||
        Math.abs(cy - w.table.center[1]) > w.table.size[1] / 2;
      if (cz < -w.fall_depth || (offTable && cz < s.restZ - 0.005)) s.dropped = true;
      else {
        s.holdSteps = lift >= liftHeight ? s.holdSteps + 1 : 0;
        if (s.holdSteps >= this.holdNeeded) s.succeeded = true;
      }
    }
    const dx = cx - this.tcp[0],
      dy = cy - this.tcp[1],
      dz = cz - this.tcp[2];
    const success = s.succeeded && !this.successReported ? 1 : 0;
    const drop = s.dropped && !this.dropReported ? 1 : 0;
    this.successReported = s.succeeded;
    this.dropReported = s.dropped;
    return {
      terms: {
        reach: -Math.sqrt(dx * dx + dy * dy + dz * dz),
        grasp: this.grasped() ? 1 : 0,
        lift: lift <= 0 ? 0 : lift >= liftHeight ? 1 : lift / liftHeight,
        success,
        drop,
      },
      terminated: s.succeeded || s.dropped,
      success: s.succeeded,
    };
  }

  privileged(): GraspPrivileged {
    this.sense();
    const P = this.pose;
    const c = 7 * CUBE;
    const ws = this.sc.robot.workspace;
    return {
      tcp: [this.tcp[0], this.tcp[1], this.tcp[2]],
      eeYaw: this.eeYaw,
      target: [...this.s.target],
      opening: this.opening,
      maxOpening: this.g.maxOpening,
      cube: [P[c], P[c + 1], P[c + 2]],
      cubeYaw: this.cubeYaw,
      cubeEdge: this.s.edge,
      restZ: this.s.restZ,
      liftHeight: this.sc.success.lift_height,
      minZ: ws.z[0],
      maxZ: ws.z[1],
      maxYaw: ws.max_yaw,
      fingerWidth: this.g.fingerWidth,
      grasped: this.grasped(),
      holdSteps: this.s.holdSteps,
      succeeded: this.s.succeeded,
      dropped: this.s.dropped,
    };
  }

  scene(): ScenePrimitive[] {
    this.sense();
    const P = this.pose;
    const out = new Float64Array(3);
    return parts(this.sc, this.g, this.s.edge).map((part: Part) => {
      const o = 7 * part.body;
      qrot(P[o + 3], P[o + 4], P[o + 5], P[o + 6], part.offset[0], part.offset[1], part.offset[2], out);
      return {
        id: part.id,
        shape: 'cube' as const,
        position: [P[o] + out[0], P[o + 1] + out[1], P[o + 2] + out[2]] as [number, number, number],
        orientation: [P[o + 3], P[o + 4], P[o + 5], P[o + 6]] as [number, number, number, number],
        size: [2 * part.half[0], 2 * part.half[1], 2 * part.half[2]] as [number, number, number],
        color: part.color,
      };
    });
  }

  taskState(): Serialisable {
    return copyGraspState(this.s);
  }
}
