/**
 * Geometry and kinematics of the grasp arm: a 5-joint arm (base yaw, shoulder pitch, elbow pitch,
 * wrist pitch, wrist roll) with a parallel gripper, always held top-down (tool axis along -z).
 *
 * Zero configuration: every link frame has the world orientation and the arm points straight up.
 * Pitch joints turn about the link's local y axis, yaw/roll joints about its local z axis. The
 * gripper closes along the palm's local x axis ("finger axis"); the gripper yaw is the bearing of
 * that axis in the world xy plane, defined modulo π (the gripper is symmetric).
 */
import type { GraspRobotConfig } from './schema.js';

export interface ArmGeometry {
  baseHeight: number;
  shoulderHeight: number;
  /** Height of the shoulder axis above the table. */
  shoulderZ: number;
  upper: number;
  fore: number;
  wrist: number;
  palmHeight: number;
  fingerLength: number;
  fingerThickness: number;
  fingerWidth: number;
  maxOpening: number;
  /** TCP offset along the palm's local z axis from the wrist-roll flange. */
  tcpLocal: number;
  /** Wrist-pitch axis to TCP along the tool axis. */
  tool: number;
  linkWidth: number;
  limits: [number, number][];
}

export function armGeometry(r: GraspRobotConfig): ArmGeometry {
  const g = r.gripper;
  const tcpLocal = g.palm_height + g.finger_length - g.tcp_above_tip;
  return {
    baseHeight: r.base_height,
    shoulderHeight: r.shoulder_height,
    shoulderZ: r.base_height + r.shoulder_height,
    upper: r.upper_arm_length,
    fore: r.forearm_length,
    wrist: r.wrist_length,
    palmHeight: g.palm_height,
    fingerLength: g.finger_length,
    fingerThickness: g.finger_thickness,
    fingerWidth: g.finger_width,
    maxOpening: g.max_opening,
    tcpLocal,
    tool: r.wrist_length + tcpLocal,
    linkWidth: r.link_width,
    limits: r.joint_limits.map(([lo, hi]) => [lo, hi] as [number, number]),
  };
}

/**
 * Joint angles that put the TCP at (x, y, z) pointing down with gripper yaw `yaw`, elbow up.
 * Points out of reach are pulled onto the reachable shell; angles are clamped to the joint limits.
 * Writes 5 angles into `out`; allocation-free.
 */
export function solveIK(g: ArmGeometry, x: number, y: number, z: number, yaw: number, out: Float64Array): void {
  const q0 = Math.atan2(y, x);
  let dr = Math.hypot(x, y);
  let dz = z + g.tool - g.shoulderZ;
  const L1 = g.upper;
  const L2 = g.fore;
  const d = Math.hypot(dr, dz);
  const dMax = 0.995 * (L1 + L2);
  const dMin = Math.abs(L1 - L2) + 1e-3;
  if (d > dMax || d < dMin) {
    const s = (d > dMax ? dMax : dMin) / Math.max(d, 1e-9);
    dr *= s;
    dz *= s;
  }
  const dd = dr * dr + dz * dz;
  let c2 = (dd - L1 * L1 - L2 * L2) / (2 * L1 * L2);
  c2 = c2 > 1 ? 1 : c2 < -1 ? -1 : c2;
  const q2 = Math.acos(c2);
  const q1 = Math.atan2(dr, dz) - Math.atan2(L2 * Math.sin(q2), L1 + L2 * Math.cos(q2));
  out[0] = q0;
  out[1] = q1;
  out[2] = q2;
  out[3] = Math.PI - q1 - q2;
  // Finger-axis yaw = q0 + π − q4 ≡ q0 − q4 (mod π).
  out[4] = q0 - yaw;
  for (let i = 0; i < 5; i++) {
    const [lo, hi] = g.limits[i];
    if (out[i] < lo) out[i] = lo;
    else if (out[i] > hi) out[i] = hi;
  }
}

/** Keep a TCP target [x, y, z, yaw, opening] inside the robot's workspace, in place. */
export function clampTarget(r: GraspRobotConfig, g: ArmGeometry, t: number[]): void {
  const ws = r.workspace;
  const rad = Math.hypot(t[0], t[1]);
  const bearing = Math.atan2(t[1], t[0]);
  const rc = Math.min(Math.max(rad, ws.radius[0]), ws.radius[1]);
  const bc = Math.min(Math.max(bearing, -ws.max_bearing), ws.max_bearing);
  if (rc !== rad || bc !== bearing) {
    t[0] = rc * Math.cos(bc);
    t[1] = rc * Math.sin(bc);
  }
  t[2] = Math.min(Math.max(t[2], ws.z[0]), ws.z[1]);
  t[3] = Math.min(Math.max(t[3], -ws.max_yaw), ws.max_yaw);
  t[4] = Math.min(Math.max(t[4], 0), g.maxOpening);
}

/** Local axis of each arm joint (base yaw, shoulder, elbow, wrist pitch, wrist roll), in the parent link's frame. */
export const JOINT_AXES = ['z', 'y', 'y', 'y', 'z'] as const;

/** A joint axis as a unit vector. */
export function axisVector(axis: 'y' | 'z'): Vec3 {
  return axis === 'y' ? [0, 1, 0] : [0, 0, 1];
}

export type Quat = [number, number, number, number];
export type Vec3 = [number, number, number];

function qmul(a: Quat, b: Quat): Quat {
  return [
    a[3] * b[0] + a[0] * b[3] + a[1] * b[2] - a[2] * b[1],
    a[3] * b[1] - a[0] * b[2] + a[1] * b[3] + a[2] * b[0],
    a[3] * b[2] + a[0] * b[1] - a[1] * b[0] + a[2] * b[3],
    a[3] * b[3] - a[0] * b[0] - a[1] * b[1] - a[2] * b[2],
  ];
}

/** Rotate v by the unit quaternion (x, y, z, w); allocation-free when `out` is given. */
export function qrot(
  qx: number,
  qy: number,
  qz: number,
  qw: number,
  vx: number,
  vy: number,
  vz: number,
  out: Float64Array,
  o = 0,
): void {
  // t = 2 q×v; v' = v + w t + q×t
  const tx = 2 * (qy * vz - qz * vy);
  const ty = 2 * (qz * vx - qx * vz);
  const tz = 2 * (qx * vy - qy * vx);
  out[o] = vx + qw * tx + (qy * tz - qz * ty);
  out[o + 1] = vy + qw * ty + (qz * tx - qx * tz);
  out[o + 2] = vz + qw * tz + (qx * ty - qy * tx);
}

function rotY(a: number): Quat {
  return [0, Math.sin(a / 2), 0, Math.cos(a / 2)];
}

export function rotZ(a: number): Quat {
  return [0, 0, Math.sin(a / 2), Math.cos(a / 2)];
}

/** Angle of the relative rotation conj(a)·b about a unit axis (local y or z), in (−π, π]. */
export function jointAngle(a: Float64Array, ia: number, b: Float64Array, ib: number, axis: 'y' | 'z'): number {
  const ax = -a[ia];
  const ay = -a[ia + 1];
  const az = -a[ia + 2];
  const aw = a[ia + 3];
  const bx = b[ib];
  const by = b[ib + 1];
  const bz = b[ib + 2];
  const bw = b[ib + 3];
  const ry = aw * by - ax * bz + ay * bw + az * bx;
  const rz = aw * bz + ax * by - ay * bx + az * bw;
  const rw = aw * bw - ax * bx - ay * by - az * bz;
  let ang = 2 * Math.atan2(axis === 'y' ? ry : rz, rw);
  if (ang > Math.PI) ang -= 2 * Math.PI;
  else if (ang <= -Math.PI) ang += 2 * Math.PI;
  return ang;
}

export interface Pose {
  p: Vec3;
  q: Quat;
}

/**
 * World poses of the five moving links (turret, upper arm, forearm, wrist, palm) and the two
 * fingers (−x, +x side) for joint angles q and finger half-opening s. Used to build the arm in place.
 */
export function forwardPoses(g: ArmGeometry, q: ArrayLike<number>, s: number): { links: Pose[]; fingers: Pose[] } {
  const links: Pose[] = [];
  const tmp = new Float64Array(3);
  const step = (parent: Pose, offset: number, rot: Quat): Pose => {
    qrot(parent.q[0], parent.q[1], parent.q[2], parent.q[3], 0, 0, offset, tmp);
    return { p: [parent.p[0] + tmp[0], parent.p[1] + tmp[1], parent.p[2] + tmp[2]], q: qmul(parent.q, rot) };
  };
  const base: Pose = { p: [0, 0, 0], q: [0, 0, 0, 1] };
  links.push(step(base, g.baseHeight, rotZ(q[0])));
  links.push(step(links[0], g.shoulderHeight, rotY(q[1])));
  links.push(step(links[1], g.upper, rotY(q[2])));
  links.push(step(links[2], g.fore, rotY(q[3])));
  links.push(step(links[3], g.wrist, rotZ(q[4])));
  const palm = links[4];
  const fingers: Pose[] = [-1, 1].map((sign) => {
    qrot(
      palm.q[0],
      palm.q[1],
      palm.q[2],
      palm.q[3],
      sign * (s + g.fingerThickness / 2),
      0,
      g.palmHeight + g.fingerLength / 2,
      tmp,
    );
    return { p: [palm.p[0] + tmp[0], palm.p[1] + tmp[1], palm.p[2] + tmp[2]] as Vec3, q: [...palm.q] as Quat };
  });
  return { links, fingers };
}

/** Wrap an angle to [−π/4, π/4): the relative yaw between a 90°-symmetric cube and the gripper. */
export function wrapQuarter(a: number): number {
  const h = Math.PI / 2;
  return a - h * Math.floor((a + h / 2) / h);
}

/** Wrap an angle to [−π/2, π/2) (the gripper's 180° symmetry). */
export function wrapHalf(a: number): number {
  return a - Math.PI * Math.floor((a + Math.PI / 2) / Math.PI);
}
