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
