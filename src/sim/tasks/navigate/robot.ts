/**
 * The differential-drive base: a dynamic cylinder confined to the plane (z translation and x/y
 * rotations locked), driven by equivalent forces. Every physics substep a velocity loop turns the
 * commanded forward speed and yaw rate into a drive force along the heading, a yaw torque and a
 * lateral no-slip force, limited by the motor force/torque limits and by wheel traction (μ·m·g).
 * The loop's model uses the nominal mass, so link_mass changes the response as on a real robot.
 *
 *   a   = k · (v* − v) − c · (v − v_prev) / dt     (k: velocity_gain × motor_stiffness,
 *   F   = clamp(m₀ · a, ±F_max)                       c: velocity_damping × motor_damping)
 *   F⊥  = −m₀ · v⊥ / dt,  |(F, F⊥)| ≤ μ · m · g      (μ: wheel_friction × friction)
 *   τ   = clamp(I₀ · (k · (ω* − ω) − c · (ω − ω_prev) / dt), ±τ_max)
 *
 * Rapier has no wheels, so the per-wheel knobs (wheels.ts) act on the loop's wheel shares
 * (wheel-emulation.ts); with them nominal that code is skipped and the base is exactly the above.
 * Traction μ also takes body_friction.wheels × body_friction.floor (the floor is implicit here).
 */
import type { Collider, Rapier, RigidBody, World } from '../../rapier.js';
import { rawSets, rawVector, type RawBodySet, type RawVec } from '../../rapier-raw.js';
import { bodyFriction, type PhysicsParams } from '../../physics-params.js';
import type { NavigateScenario } from '../../scenario-schema.js';
import type { Pose2 } from './geometry.js';
import { WheelEmulation } from './wheel-emulation.js';
import { nominalWheels, wheelKnobs } from './wheels.js';

const G = 9.81;
/** Rotates a Rapier cylinder (axis y) so its axis is z. */
const Y_TO_Z = { x: Math.SQRT1_2, y: 0, z: 0, w: Math.SQRT1_2 };

/** Create the base body and collider; returns their handles. */
export function buildBase(
  R: Rapier,
  world: World,
  sc: NavigateScenario,
  params: PhysicsParams,
  pose: Pose2,
): { body: number; collider: number } {
  const rb = sc.robot;
  const desc = R.RigidBodyDesc.dynamic()
    .setTranslation(pose.x, pose.y, rb.height / 2)
    .setRotation({ x: 0, y: 0, z: Math.sin(pose.yaw / 2), w: Math.cos(pose.yaw / 2) })
    .enabledTranslations(true, true, false)
    .enabledRotations(false, false, true)
    .setLinearDamping(rb.linear_damping * params.joint_damping)
    .setAngularDamping(rb.angular_damping * params.joint_damping)
    .setCanSleep(false);
  const body = world.createRigidBody(desc);
  const col = R.ColliderDesc.cylinder(rb.height / 2, rb.radius)
    .setRotation(Y_TO_Z)
    .setMass(rb.mass * params.link_mass)
    .setFriction(sc.world.friction * params.friction)
    .setRestitution(params.restitution);
  const collider = world.createCollider(col, body);
  return { body: body.handle, collider: collider.handle };
}

const scratch = new WeakMap<Rapier, { impulse: RawVec; torque: RawVec }>();
function driveScratch(R: Rapier): { impulse: RawVec; torque: RawVec } {
  let v = scratch.get(R);
  if (!v) {
    v = { impulse: rawVector(R), torque: rawVector(R) };
    scratch.set(R, v);
  }
  return v;
}

/** The base's velocity loop and pose readout, bound to a body in a (possibly restored) world. */
export class DiffDriveBase {
  readonly body: RigidBody;
  readonly collider: Collider;
  /** Commanded forward speed (m/s) and yaw rate (rad/s). */
  cmdV = 0;
  cmdW = 0;
  /** Velocities measured before the previous substep (for the damping term). */
  prevV = 0;
  prevW = 0;
  /** Pose and velocity from the last readState() (the heading also turned by drive() in between). */
  x = 0;
  y = 0;
  z = 0;
  cosYaw = 1;
  sinYaw = 0;
  v = 0;
  w = 0;
  /** Planar speed, m/s. */
  speed = 0;
  /** The heading was read from the body after its last physics step. */
  private yawFresh = false;
  /** `lin` and `ang` were read from the body after its last physics step (by readState). */
  private velFresh = false;
  private yawKnown = false;
  /** Bound on the planar acceleration without contacts: traction plus a fully tilted gravity, m/s². */
  readonly maxAccel: number;

  private readonly gain: number;
  private readonly damping: number;
  private readonly maxForce: number;
  private readonly maxTorque: number;
  private readonly traction: number;
  private readonly mass0: number;
  private readonly inertia0: number;
  private readonly maxSpeed: number;
  private readonly maxYawRate: number;
  private readonly lin = { x: 0, y: 0, z: 0 };
  private readonly ang = { x: 0, y: 0, z: 0 };
  private readonly rot = { x: 0, y: 0, z: 0, w: 1 };
  private readonly pos = { x: 0, y: 0, z: 0 };
  /** Wasm-side impulse (z = 0) and torque (x = y = 0) vectors, shared by the bases of one Rapier module (drive() never interleaves). */
  private readonly impulse: RawVec;
  private readonly torque: RawVec;
  private readonly bodies: RawBodySet;
  private readonly handle: number;
  /** The per-wheel knobs' effect, or null when they are all nominal. */
  private readonly wheels: WheelEmulation | null;

  constructor(
    R: Rapier,
    world: World,
    handles: { body: number; collider: number },
    sc: NavigateScenario,
    params: PhysicsParams,
  ) {
    this.body = world.getRigidBody(handles.body);
    this.collider = world.getCollider(handles.collider);
    if (!this.body || !this.collider)
      throw new Error(`navigate: base body ${handles.body} / collider ${handles.collider} not found in the world`);
    this.bodies = rawSets(world).bodies;
    this.handle = handles.body;
    ({ impulse: this.impulse, torque: this.torque } = driveScratch(R));
    const rb = sc.robot;
    this.gain = rb.velocity_gain * params.motor_stiffness;
    this.damping = rb.velocity_damping * params.motor_damping;
    this.maxForce = rb.max_force * params.motor_max_force;
    this.maxTorque = rb.max_torque * params.motor_max_force;
    // Wheel–floor traction: × 1 exactly when body_friction leaves both nominal.
    const bodies = bodyFriction(params, 'wheels') * bodyFriction(params, 'floor');
    this.traction = rb.wheel_friction * params.friction * rb.mass * params.link_mass * G * bodies;
    this.maxAccel = (rb.wheel_friction * params.friction * bodies + 1) * G;
    this.mass0 = rb.mass;
    this.inertia0 = 0.5 * rb.mass * rb.radius * rb.radius;
    this.maxSpeed = rb.max_speed;
    this.maxYawRate = rb.max_yaw_rate;
    const knobs = wheelKnobs(params);
    this.wheels = nominalWheels(knobs) ? null : new WheelEmulation(sc, params, knobs);
  }

  /** Set the velocity targets (physical units), clamped to the robot's limits. */
  command(v: number, w: number): void {
    this.cmdV = v > this.maxSpeed ? this.maxSpeed : v < -this.maxSpeed ? -this.maxSpeed : v;
    this.cmdW = w > this.maxYawRate ? this.maxYawRate : w < -this.maxYawRate ? -this.maxYawRate : w;
    if (this.wheels) {
      this.wheels.command(this.cmdV, this.cmdW);
      this.cmdV = this.wheels.v;
      this.cmdW = this.wheels.w;
    }
  }

  /** One step of the velocity loop: applies the drive impulses for the coming substep. No allocation. */
  drive(dt: number): void {
    if (!this.velFresh) {
      this.body.linvel(this.lin);
      this.body.angvel(this.ang);
    }
    this.velFresh = false;
    const w = this.ang.z;
    // The heading is read once per control step (readState) and rotated in between: Rapier
    // integrates the rotation with the velocity it ends the substep with, the one read here.
    if (!this.yawFresh) {
      if (this.yawKnown) this.rotateHeading(w * dt);
      else this.readYaw();
    }
    this.yawFresh = false;
    const c = this.cosYaw;
    const s = this.sinYaw;
    const vf = c * this.lin.x + s * this.lin.y;
    const vl = -s * this.lin.x + c * this.lin.y;
    let f = this.mass0 * (this.gain * (this.cmdV - vf) - (this.damping * (vf - this.prevV)) / dt);
    let tq = this.inertia0 * (this.gain * (this.cmdW - w) - (this.damping * (w - this.prevW)) / dt);
    const wheels = this.wheels;
    if (wheels) {
      wheels.efforts(f, tq);
      f = wheels.f;
      tq = wheels.t;
    }
    if (f > this.maxForce) f = this.maxForce;
    else if (f < -this.maxForce) f = -this.maxForce;
    if (tq > this.maxTorque) tq = this.maxTorque;
    else if (tq < -this.maxTorque) tq = -this.maxTorque;
    if (wheels) {
      wheels.losses(f, tq, vf, w, dt);
      f = wheels.f;
      tq = wheels.t;
    }
    let fl = (-this.mass0 * vl) / dt;
    const mag = Math.sqrt(f * f + fl * fl);
    if (mag > this.traction) {
      const k = this.traction / mag;
      f *= k;
      fl *= k;
    }
    this.prevV = vf;
    this.prevW = w;
    // Straight into the wasm body set with a reused vector: RigidBody.applyImpulse allocates a
    // wasm vector per call, which at two calls per substep cost more than the rest of the loop.
    // Every component write is a wasm call too: the impulse keeps z = 0 and the torque x = y = 0.
    const jx = (c * f - s * fl) * dt;
    const jy = (s * f + c * fl) * dt;
    if (jx !== 0 || jy !== 0) {
      this.impulse.x = jx;
      this.impulse.y = jy;
      this.bodies.rbApplyImpulse(this.handle, this.impulse, true);
    }
    if (tq !== 0) {
      this.torque.z = tq * dt;
      this.bodies.rbApplyTorqueImpulse(this.handle, this.torque, true);
    }
  }

  /** Turn (cosYaw, sinYaw) by the angle d. Per substep |d| is a few hundredths of a radian, where
   * the series below is exact to double precision and cheaper than Math.cos and Math.sin. */
  private rotateHeading(d: number): void {
    let cd: number;
    let sd: number;
    if (d > -0.05 && d < 0.05) {
      const d2 = d * d;
      cd = 1 - (d2 / 2) * (1 - (d2 / 12) * (1 - d2 / 30));
      sd = d * (1 - (d2 / 6) * (1 - (d2 / 20) * (1 - d2 / 42)));
    } else {
      cd = Math.cos(d);
      sd = Math.sin(d);
    }
    const c = this.cosYaw;
    this.cosYaw = c * cd - this.sinYaw * sd;
    this.sinYaw = this.sinYaw * cd + c * sd;
  }

  /** Read the position only (cheap; for the per-substep contact check). */
  readPosition(): void {
    this.body.translation(this.pos);
    this.x = this.pos.x;
    this.y = this.pos.y;
    this.z = this.pos.z;
  }

  /** Read the heading into cosYaw, sinYaw. */
  private readYaw(): void {
    this.body.rotation(this.rot);
    const qz = this.rot.z;
    const qw = this.rot.w;
    const n = qw * qw + qz * qz;
    this.cosYaw = (qw * qw - qz * qz) / n;
    this.sinYaw = (2 * qw * qz) / n;
    this.yawFresh = true;
    this.yawKnown = true;
  }

  /** Read pose and body-frame velocities into x, y, cosYaw, sinYaw, v, w. */
  readState(): void {
    this.readPosition();
    this.readYaw();
    this.body.linvel(this.lin);
    this.body.angvel(this.ang);
    this.velFresh = true;
    this.v = this.cosYaw * this.lin.x + this.sinYaw * this.lin.y;
    this.speed = Math.sqrt(this.lin.x * this.lin.x + this.lin.y * this.lin.y);
    this.w = this.ang.z;
  }
}
