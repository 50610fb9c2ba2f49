/**
 * Scripted grasp expert: approach above the cube, align the gripper yaw with a cube face, descend,
 * close until the fingers squeeze, lift, hold. Closed loop on the measured TCP and cube pose every
 * step (proportional moves, state-based phase changes with fallbacks), so a step of action latency
 * or some action noise only slows it down.
 */
import type { GraspScenario } from '../../scenario-schema.js';
import type { GraspPrivileged } from './instance.js';
import { bounds, offsetOf, totalSize } from '../../contract.js';
import { wrapQuarter } from './kinematics.js';
import type { Expert } from '../../expert.js';

export type GraspPhase = 'approach' | 'descend' | 'close' | 'lift';

/** Fraction of the remaining position error commanded per control step (0.3: no overshoot with a step of lag). */
const GAIN = 0.3;
/** Fraction of the remaining yaw error commanded per control step. */
const YAW_GAIN = 0.5;
/** Commanded finger gap below the cube width while gripping, m: (gap / 2) × finger stiffness = squeeze force. */
const SQUEEZE = 0.01;
/** Fingertip clearance above the cube top while hovering, m. */
const HOVER_CLEARANCE = 0.035;
/** Extra lift above the success height, m. */
const LIFT_MARGIN = 0.04;

export function graspExpert(sc: GraspScenario): Expert {
  const act = sc.contract.action;
  const { low, high } = bounds(act);
  const n = totalSize(act);
  const iPos = offsetOf(act, 'ee_delta');
  const iYaw = offsetOf(act, 'ee_yaw_delta');
  const iGrip = offsetOf(act, 'gripper');
  const tcpAboveTip = sc.robot.gripper.tcp_above_tip;
  let phase: GraspPhase = 'approach';

  /** Physical value → normalised action in [-1, 1]. */
  const norm = (i: number, v: number): number => {
    const u = (2 * (v - low[i])) / (high[i] - low[i]) - 1;
    return u > 1 ? 1 : u < -1 ? -1 : u;
  };

  return {
    reset() {
      phase = 'approach';
    },
    act(privileged: unknown): Float32Array {
      const p = privileged as GraspPrivileged;
      const [tx, ty, tz] = p.tcp;
      const [cx, cy, cz] = p.cube;
      const e = p.cubeEdge;
      const xyErr = Math.hypot(cx - tx, cy - ty);
      const graspZ = Math.max(cz, p.minZ + 0.003);
      const hoverZ = Math.min(cz + e / 2 + HOVER_CLEARANCE + tcpAboveTip, p.maxZ);
      const dist = Math.hypot(cx - tx, cy - ty, cz - tz);
      const cmd = p.target[4];
      const gripCmd = Math.min(e, p.opening) - SQUEEZE;
      const squeezing =
        p.opening < 1.5 * e && p.opening > 0.5 * e && cmd < p.opening - 0.7 * SQUEEZE && cmd < gripCmd + 0.002;

      // Phase changes: forward when the state allows, back to approach when the grasp is lost.
      if (phase === 'approach') {
        const yawOk = Math.abs(wrapQuarter(p.cubeYaw - p.eeYaw)) < 0.08;
        if (xyErr < 0.008 && yawOk && p.opening > e + 0.02 && Math.abs(tz - hoverZ) < 0.03) phase = 'descend';
      } else if (phase === 'descend') {
        if (xyErr > 0.02) phase = 'approach';
        else if (tz - graspZ < 0.006 && xyErr < 0.01) phase = 'close';
      } else if (phase === 'close') {
        if (p.opening < 0.5 * e || dist > 0.03) phase = 'approach';
        else if (squeezing) phase = 'lift';
      } else if (phase === 'lift') {
        if (dist > 0.04 || p.opening < 0.5 * e) phase = 'approach';
      }

      let gx = tx;
      let gy = ty;
      let gz = tz;
      let grip = 0;
      switch (phase) {
        case 'approach':
          grip = high[iGrip];
          gz = hoverZ;
          // Far from the cube and low: rise before moving sideways, so the fingers never sweep it.
          if (!(xyErr > 0.03 && tz < hoverZ - 0.01)) {
            gx = cx;
            gy = cy;
          }
          break;
        case 'descend':
          grip = high[iGrip];
          gx = cx;
          gy = cy;
          gz = graspZ;
          break;
        case 'close':
          grip = Math.min(0, gripCmd - cmd);
          gz = graspZ;
          break;
        case 'lift':
          grip = Math.min(0, gripCmd - cmd);
          gz = Math.min(p.restZ + p.liftHeight + LIFT_MARGIN, p.maxZ);
          break;
      }

      // Gripper yaw goal: the face alignment nearest the current yaw that stays inside the limits.
      let goalYaw = p.eeYaw + wrapQuarter(p.cubeYaw - p.eeYaw);
      const lim = p.maxYaw - 0.05;
      if (goalYaw > lim) goalYaw -= Math.PI / 2;
      else if (goalYaw < -lim) goalYaw += Math.PI / 2;
      const yawDelta = phase === 'approach' || phase === 'descend' ? YAW_GAIN * (goalYaw - p.eeYaw) : 0;

      const out = new Float32Array(n);
      out[iPos] = norm(iPos, GAIN * (gx - tx));
      out[iPos + 1] = norm(iPos + 1, GAIN * (gy - ty));
      out[iPos + 2] = norm(iPos + 2, GAIN * (gz - tz));
      out[iYaw] = norm(iYaw, yawDelta);
      out[iGrip] = norm(iGrip, grip);
      return out;
    },
  };
}
