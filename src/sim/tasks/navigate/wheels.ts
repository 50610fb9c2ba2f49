/**
 * The base's two drive wheels as both engines see them: where they sit, how a unicycle command
 * (v, ω) becomes wheel speeds, and the per-wheel knobs of PhysicsParams ([left, right]).
 *
 * The track is √2 × the base radius: then a per-wheel speed loop of gain m·k/2 on each wheel is
 * exactly the base's forward loop (m·k) and yaw loop (I·k, I = ½·m·r² of the cylinder), and the
 * two wheels' motions decouple (wheel-space mass m/2 each); with the shipped base, its force
 * limit per wheel (max_force / 2) and its yaw-torque limit (max_torque / track) nearly agree.
 */
import { perActuator, type PhysicsParams } from '../../physics-params.js';
import type { NavigateScenario } from '../../scenario-schema.js';

/** Distance between the wheels' contact points, m. */
export function wheelTrack(sc: NavigateScenario): number {
  return Math.SQRT2 * sc.robot.radius;
}

/** Force limit of one wheel at the floor, N: both wheels together respect max_force and max_torque. */
export function wheelForceLimit(sc: NavigateScenario, params: PhysicsParams): number {
  const rb = sc.robot;
  return Math.min(rb.max_force / 2, rb.max_torque / wheelTrack(sc)) * params.motor_max_force;
}

/** The per-wheel knobs, index 0 left, 1 right; each entry nominal where the lists stop. */
export interface WheelKnobs {
  /** × the wheel's speed-loop gain. */
  gain: [number, number];
  /** × the wheel's viscous damping. */
  damping: [number, number];
  /** Coulomb friction of the wheel, fraction of its force limit. */
  friction: [number, number];
  /** Dead band of the wheel's speed command, m/s. */
  backlash: [number, number];
}

function pair(values: readonly number[] | undefined, nominal: number): [number, number] {
  return [perActuator(values, 0, nominal), perActuator(values, 1, nominal)];
}

export function wheelKnobs(params: PhysicsParams): WheelKnobs {
  return {
    gain: pair(params.actuator_gain, 1),
    damping: pair(params.actuator_damping, 1),
    friction: pair(params.actuator_friction, 0),
    backlash: pair(params.actuator_backlash, 0),
  };
}

/** True when every per-wheel knob is nominal (the wheels are the base's symmetric loop). */
export function nominalWheels(k: WheelKnobs): boolean {
  return [0, 1].every((i) => k.gain[i] === 1 && k.damping[i] === 1 && k.friction[i] === 0 && k.backlash[i] === 0);
}

/**
 * A wheel speed command through its dead band: inside ±band nothing moves; outside, the wheel
 * gets what exceeds the band (continuous, as a motor driver's dead zone).
 */
export function deadBand(v: number, band: number): number {
  if (band <= 0) return v;
  return v > band ? v - band : v < -band ? v + band : 0;
}
