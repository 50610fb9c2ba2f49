/** The grasp plant in a Rapier world: body poses from the rigid bodies, targets into the joint motors. */
import type { World } from '../../rapier.js';
import type { GraspScenario } from '../../scenario-schema.js';
import type { PhysicsParams } from '../../physics-params.js';
import { bind, type Bound, type Handles } from './build.js';
import { JOINT_AXES, jointAngle } from './kinematics.js';
import { gains, N_BODIES, type Gains } from './parts.js';
import type { GraspPlant } from './plant.js';

export class RapierPlant implements GraspPlant {
  private readonly b: Bound;
  private readonly k: Gains;
  /** Joint friction as a target offset per arm joint (τ_f / kp, rad), or null without friction. */
  private readonly deadBand: number[] | null;
  private readonly rot = new Float64Array(8);
  private readonly held = new Float64Array(5);

  constructor(world: World, handles: Handles, sc: GraspScenario, params: PhysicsParams) {
    this.b = bind(world, handles);
    this.k = gains(sc, params);
    const k = this.k;
    this.deadBand = k.friction.some((f) => f > 0) ? k.friction.map((f, i) => (k.k[i] > 0 ? f / k.k[i] : 0)) : null;
  }

  readPoses(P: Float64Array): void {
    const bodies = this.b.bodies;
    for (let i = 1; i < N_BODIES; i++) {
      const t = bodies[i].translation();
      const r = bodies[i].rotation();
      const o = 7 * i;
      P[o] = t.x;
      P[o + 1] = t.y;
      P[o + 2] = t.z;
      P[o + 3] = r.x;
      P[o + 4] = r.y;
      P[o + 5] = r.z;
      P[o + 6] = r.w;
    }
  }

  setTargets(q: Float64Array, finger: number): void {
    const j = this.b.joints;
    const k = this.k;
    const t = this.deadBand ? this.withFriction(q) : q;
    for (let i = 0; i < 5; i++) j[i].configureMotorPosition(t[i], k.k[i], k.c[i]);
    j[5].configureMotorPosition(finger, k.fingerK, k.fingerC);
    j[6].configureMotorPosition(finger, k.fingerK, k.fingerC);
  }

  /**
   * Coulomb joint friction, which Rapier's joints lack, folded into the position servo: the target
   * is pulled back towards the joint by τ_f / kp, and held where the joint is while the remaining
   * error is inside that band, with the motor's force cap lowered by τ_f (build.ts). The servo's
   * torque is then kp·e − τ_f·sign(e) − kd·v: friction opposing a joint that moves towards its
   * target, and stiction below τ_f. Not modelled: friction against a joint back-driven by contacts.
   * (An explicit opposing torque per substep cannot hold the light wrist still: stable only with a
   * velocity regularisation far wider than the motion.)
   */
  private withFriction(q: Float64Array): Float64Array {
    const band = this.deadBand!;
    const out = this.held;
    const bodies = this.b.bodies;
    const R = this.rot;
    for (let i = 0; i < 5; i++) {
      out[i] = q[i];
      if (!(band[i] > 0)) continue;
      const a = bodies[i].rotation();
      const b = bodies[i + 1].rotation();
      R[0] = a.x;
      R[1] = a.y;
      R[2] = a.z;
      R[3] = a.w;
      R[4] = b.x;
      R[5] = b.y;
      R[6] = b.z;
      R[7] = b.w;
      const now = jointAngle(R, 0, R, 4, JOINT_AXES[i]);
      const e = q[i] - now;
      out[i] = Math.abs(e) <= band[i] ? now : q[i] - Math.sign(e) * band[i];
    }
    return out;
  }
}
