/**
 * Physics parameters a world is built with. Scales multiply the scenario's nominal values;
 * the rest are absolute. Domain randomization samples these per episode.
 */
export interface PhysicsParams {
  /** × nominal friction of every collider. */
  friction: number;
  /** Absolute restitution of every collider (nominal: the scenario's value). */
  restitution: number;
  /** × nominal mass of robot links. */
  link_mass: number;
  /** × nominal mass of manipulated objects (grasp) — obstacles are fixed in navigation. */
  object_mass: number;
  /** × nominal joint/wheel damping. */
  joint_damping: number;
  /** × nominal motor stiffness (position gain) / velocity gain. */
  motor_stiffness: number;
  /** × nominal motor damping. */
  motor_damping: number;
  /** × nominal motor force limit. */
  motor_max_force: number;
  /** Gravity tilt from vertical, degrees. */
  gravity_tilt_deg: number;
  /** Direction of the tilt in the ground plane, radians. */
  gravity_tilt_dir: number;
  /** × nominal object size (cube edge in grasp, obstacle size in navigation). */
  object_size: number;
  /** Extra displacement of objects' start positions, metres, in a random direction. */
  object_pose: number;
  // Per-actuator and per-body knobs (reality profiles, randomization: docs/scenarios.md). Actuators
  // are the arm joints in order (grasp: 5) or the wheels [left, right] (navigate); a missing entry
  // is nominal, so [] leaves every actuator as the global scales make it.
  /** × motor gain (position gain of a joint, velocity gain of a wheel), on top of motor_stiffness. */
  actuator_gain: number[];
  /** × viscous damping of a joint or wheel, on top of joint_damping. */
  actuator_damping: number[];
  /** Coulomb friction of a joint or wheel, as a fraction of its force/torque limit (nominal 0). */
  actuator_friction: number[];
  /** Backlash: play of a joint's transmission, rad (arm joints), or dead band of a wheel's speed command, m/s. */
  actuator_backlash: number[];
  /** × squeeze force limit of the gripper fingers, apart from the arm's motor_max_force (grasp). */
  gripper_force: number;
  /**
   * × friction of one named body group, on top of `friction`. grasp: table, cube, pads, links;
   * navigate: floor, wheels, obstacles, walls.
   */
  body_friction: Record<string, number>;
}

/** Body groups that `body_friction` may name, per task. */
export const FRICTION_BODIES = {
  grasp: ['table', 'cube', 'pads', 'links'],
  navigate: ['floor', 'wheels', 'obstacles', 'walls'],
} as const;

/** Actuators that the per-actuator knobs index, per task (names for docs and error messages). */
export const ACTUATORS = {
  grasp: ['base_yaw', 'shoulder', 'elbow', 'wrist_pitch', 'wrist_roll'],
  navigate: ['left_wheel', 'right_wheel'],
} as const;

/** Entry i of a per-actuator knob, or `nominal` when the list does not reach it. */
export function perActuator(values: readonly number[] | undefined, i: number, nominal: number): number {
  const v = values?.[i];
  return v === undefined ? nominal : v;
}

/** The `body_friction` scale of a body group (1 when not given). */
export function bodyFriction(p: PhysicsParams, body: string): number {
  return p.body_friction?.[body] ?? 1;
}

export function nominalPhysics(restitution = 0): PhysicsParams {
  return {
    friction: 1,
    restitution,
    link_mass: 1,
    object_mass: 1,
    joint_damping: 1,
    motor_stiffness: 1,
    motor_damping: 1,
    motor_max_force: 1,
    gravity_tilt_deg: 0,
    gravity_tilt_dir: 0,
    object_size: 1,
    object_pose: 0,
    actuator_gain: [],
    actuator_damping: [],
    actuator_friction: [],
    actuator_backlash: [],
    gripper_force: 1,
    body_friction: {},
  };
}

/** Gravity vector (z up) for a tilt, m/s². */
export function gravityVector(p: PhysicsParams, g = 9.81): { x: number; y: number; z: number } {
  const t = (p.gravity_tilt_deg * Math.PI) / 180;
  return {
    x: g * Math.sin(t) * Math.cos(p.gravity_tilt_dir),
    y: g * Math.sin(t) * Math.sin(p.gravity_tilt_dir),
    z: -g * Math.cos(t),
  };
}
