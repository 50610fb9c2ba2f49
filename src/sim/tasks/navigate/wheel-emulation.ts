/**
 * The per-wheel knobs on Rapier's base, which has no wheels (robot.ts): the base's loop is split
 * into its two wheels' shares, each share changed as that wheel's knob says, and the shares summed
 * back into a forward force and a yaw torque. With the track of wheels.ts the split is exact: a
 * wheel's share of the forward force F and torque τ is F/2 ∓ τ/b, its ground speed v ∓ ω·b/2,
 * and each wheel moves a mass m/2 of its own (left −, right +).
 *
 *   command:  wheel speed targets v* ∓ ω*·b/2 through each wheel's dead band (actuator_backlash)
 *   efforts:  each share of the loop's unclamped effort × actuator_gain (before the force limits)
 *   losses:   after the limits, per wheel: extra viscous force −(actuator_damping − 1)·c_w·v_i,
 *             c_w = m·linear_damping·joint_damping / 2 (the body's own damping is the nominal part),
 *             and Coulomb friction up to actuator_friction × the wheel's force limit, opposing
 *             the wheel's motion: the force that would stop the wheel this substep, clamped.
 * Results are left in fields (no allocation per substep).
 */
import type { PhysicsParams } from '../../physics-params.js';
import type { NavigateScenario } from '../../scenario-schema.js';
import { deadBand, wheelForceLimit, wheelTrack, type WheelKnobs } from './wheels.js';

export class WheelEmulation {
  /** Output of command(): the unicycle command the wheels' targets amount to. */
  v = 0;
  w = 0;
  /** Output of efforts() and losses(): forward force, N, and yaw torque, N·m. */
  f = 0;
  t = 0;
  private readonly halfTrack: number;
  private readonly wheelMass: number;
  private readonly viscous: number;
  private readonly coulomb: [number, number];

  constructor(
    sc: NavigateScenario,
    params: PhysicsParams,
    private readonly knobs: WheelKnobs,
  ) {
    this.halfTrack = wheelTrack(sc) / 2;
    const mass = sc.robot.mass * params.link_mass;
    this.wheelMass = mass / 2;
    this.viscous = (mass * sc.robot.linear_damping * params.joint_damping) / 2;
    const limit = wheelForceLimit(sc, params);
    this.coulomb = [knobs.friction[0] * limit, knobs.friction[1] * limit];
  }

  command(v: number, w: number): void {
    const h = this.halfTrack;
    const l = deadBand(v - w * h, this.knobs.backlash[0]);
    const r = deadBand(v + w * h, this.knobs.backlash[1]);
    this.v = (l + r) / 2;
    this.w = (r - l) / (2 * h);
  }

  efforts(f: number, t: number): void {
    const h = this.halfTrack;
    const l = (f / 2 - t / (2 * h)) * this.knobs.gain[0];
    const r = (f / 2 + t / (2 * h)) * this.knobs.gain[1];
    this.f = l + r;
    this.t = (r - l) * h;
  }

  losses(f: number, t: number, v: number, w: number, dt: number): void {
    const h = this.halfTrack;
    const l = this.wheel(0, f / 2 - t / (2 * h), v - w * h, dt);
    const r = this.wheel(1, f / 2 + t / (2 * h), v + w * h, dt);
    this.f = l + r;
    this.t = (r - l) * h;
  }

  /** Wheel i's force at the floor after its damping and friction. */
  private wheel(i: 0 | 1, drive: number, speed: number, dt: number): number {
    const u = drive - (this.knobs.damping[i] - 1) * this.viscous * speed;
    const limit = this.coulomb[i];
    if (limit <= 0) return u;
    let fr = -u - (this.wheelMass * speed) / dt;
    if (fr > limit) fr = limit;
    else if (fr < -limit) fr = -limit;
    return u + fr;
  }
}
