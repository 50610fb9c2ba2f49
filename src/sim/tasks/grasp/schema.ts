/**
 * Scenario blocks specific to the grasp task (robot, world, success). Units: metres, kilograms,
 * radians, seconds. Frame: z up, the robot base at the origin on the table top (z = 0), the arm
 * reaching along +x. Every constant of the arm, gripper, table and cube the YAML may change lives here.
 */
import { z } from 'zod';

const pos = z.number().positive();
const Vec2 = z.tuple([z.number(), z.number()]);
const Vec3 = z.tuple([z.number(), z.number(), z.number()]);
const Interval = Vec2.refine(([lo, hi]) => lo <= hi, { message: 'expected [lo, hi] with lo <= hi' });
/** One value per arm joint: base yaw, shoulder pitch, elbow pitch, wrist pitch, wrist roll. */
const PerJoint = z.array(z.number()).length(5);

const Gripper = z.strictObject({
  /** Largest distance between the finger pads, m. */
  max_opening: pos.default(0.09),
  /** Finger length below the palm, m. */
  finger_length: pos.default(0.06),
  /** Finger size along the closing axis, m. */
  finger_thickness: pos.default(0.012),
  /** Finger size across the closing axis, m. */
  finger_width: pos.default(0.03),
  palm_height: pos.default(0.02),
  finger_mass: pos.default(0.05),
  /** Finger pad friction coefficient (rubber). */
  friction: pos.default(1.5),
  /** Squeeze force limit per finger, N. */
  force: pos.default(15),
  /** Finger position gain, N/m (force-based motor): squeeze = gain × (pad gap − commanded gap) / 2, capped by `force`. */
  stiffness: pos.default(2000),
  /** Finger velocity gain, N·s/m. */
  damping: pos.default(30),
  /** Tool centre point (TCP) height above the finger tips, m. */
  tcp_above_tip: pos.default(0.015),
});

const Workspace = z.strictObject({
  /** Horizontal distance of the TCP target from the base axis, m. */
  radius: Interval.default([0.15, 0.5]),
  /** TCP target height above the table, m. */
  z: Interval.default([0.015, 0.3]),
  /** |bearing of the TCP target| from +x, rad. */
  max_bearing: pos.default(1.4),
  /** |gripper yaw target|, rad (the gripper is symmetric under 180°). */
  max_yaw: pos.default(Math.PI / 2),
});

const Home = z.strictObject({
  position: Vec3.default([0.3, 0, 0.2]),
  yaw: z.number().default(0),
  /** Initial finger opening, m. */
  opening: z.number().min(0).default(0.09),
});

export const GraspRobot = z.strictObject({
  /** Height of the fixed base column, m. */
  base_height: pos.default(0.08),
  /** Turret height from the base-yaw joint to the shoulder axis, m. */
  shoulder_height: pos.default(0.06),
  upper_arm_length: pos.default(0.32),
  forearm_length: pos.default(0.3),
  /** Wrist-pitch axis to wrist-roll flange, m. */
  wrist_length: pos.default(0.05),
  /** Cross-section of the arm links, m. */
  link_width: pos.default(0.05),
  /** Masses of turret, upper arm, forearm, wrist, palm, kg. */
  link_masses: z.array(pos).length(5).default([1.0, 0.8, 0.5, 0.2, 0.25]),
  link_friction: pos.default(0.8),
  /** Joint-space gravity compensation, as a real arm controller does (arm links feel no gravity). */
  gravity_compensation: z.boolean().default(true),
  /** [lo, hi] per joint, rad. */
  joint_limits: z
    .array(Interval)
    .length(5)
    .default([
      [-2.6, 2.6],
      [-0.8, 1.8],
      [0, 2.8],
      [-0.5, 2.8],
      [-2.9, 2.9],
    ]),
  /** Position gain per joint, N·m/rad (force-based motor). */
  motor_stiffness: PerJoint.default([3000, 3000, 2000, 500, 200]),
  /** Velocity gain per joint, N·m·s/rad. */
  motor_damping: PerJoint.default([120, 120, 80, 20, 8]),
  /** Torque limit per joint, N·m. */
  motor_max_force: PerJoint.default([60, 60, 40, 20, 10]),
  /** Viscous joint damping added to the motors' velocity gain, N·m·s/rad. */
  joint_damping: z.number().min(0).default(2),
  gripper: Gripper.prefault({}),
  workspace: Workspace.prefault({}),
  home: Home.prefault({}),
});

const Table = z.strictObject({
  /** Full extents x, y, thickness, m; the top surface is at z = 0. */
  size: Vec3.default([0.9, 1.0, 0.04]),
  /** Centre of the top surface in x, y, m. */
  center: Vec2.default([0.25, 0]),
  friction: pos.default(0.6),
});

const Cube = z.strictObject({
  /** Edge length range, m (× physics object_size). */
  edge: Interval.default([0.04, 0.05]),
  /** Nominal mass, kg (× physics object_mass). */
  mass: pos.default(0.06),
  friction: pos.default(1.0),
  /** Spawn region of the cube centre, m. */
  spawn_x: Interval.default([0.28, 0.42]),
  spawn_y: Interval.default([-0.12, 0.12]),
  /** Spawn yaw range, rad. */
  spawn_yaw: Interval.default([-Math.PI / 4, Math.PI / 4]),
});

const GraspWorld = z.strictObject({
  /** Nominal restitution of every collider (randomization samples it absolutely). */
  restitution: z.number().min(0).max(1).default(0),
  table: Table.prefault({}),
  cube: Cube.prefault({}),
  /** The cube counts as dropped when its centre falls this far below the table top, m. */
  fall_depth: pos.default(0.05),
  /**
   * Contact stiffness as Rapier's contact natural frequency, Hz (Rapier's default is 30). Soft
   * contacts let a light cube squeezed at 10-15 N sink ~1 cm into the pads at 30 Hz; 120 Hz keeps it near 1 mm.
   */
  contact_frequency: pos.default(120),
});

const GraspSuccess = z.strictObject({
  /** Lift of the cube centre above its resting height, m. */
  lift_height: pos.default(0.1),
  /** How long the lift must be held, s. */
  hold_s: z.number().min(0).default(0.5),
});

export const GraspBlocks = {
  robot: GraspRobot,
  world: GraspWorld,
  success: GraspSuccess,
};

export type GraspRobotConfig = z.infer<typeof GraspRobot>;
export type GraspWorldConfig = z.infer<typeof GraspWorld>;
