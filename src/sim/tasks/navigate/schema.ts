/**
 * Scenario blocks specific to the navigate task (robot, world, success). Every field has a default,
 * so a scenario file only needs to spell out what it changes; scenarios/navigate-obstacles.yaml
 * lists them all. Scales from PhysicsParams multiply the values marked "× <param>".
 */
import { z } from 'zod';

const Positive = z.number().positive();

const IntRange = z
  .tuple([z.int().min(0), z.int().min(0)])
  .refine(([lo, hi]) => lo <= hi, { message: 'expected [lo, hi] with lo <= hi' });

const SizeRange = z
  .tuple([Positive, Positive])
  .refine(([lo, hi]) => lo <= hi, { message: 'expected [lo, hi] with lo <= hi' });

const NavigateRobot = z.strictObject({
  /** Base cylinder radius, m. */
  radius: Positive.default(0.15),
  /** Base cylinder height, m (the lidar scans in the plane at half this height). */
  height: Positive.default(0.12),
  /** Base mass, kg (× link_mass). */
  mass: Positive.default(2),
  /** Forward speed limit, m/s (commands beyond it are clamped). */
  max_speed: Positive.default(0.5),
  /** Yaw-rate limit, rad/s. */
  max_yaw_rate: Positive.default(2),
  /** Velocity-loop gain, 1/s: commanded acceleration per unit velocity error (× motor_stiffness). */
  velocity_gain: Positive.default(20),
  /** Acceleration feedback of the velocity loop, dimensionless (× motor_damping). Must stay < 1. */
  velocity_damping: z.number().min(0).max(0.8).default(0.2),
  /** Drive force limit along the heading, N (× motor_max_force). */
  max_force: Positive.default(10),
  /** Yaw torque limit, N·m (× motor_max_force). */
  max_torque: Positive.default(1),
  /** Wheel–floor traction coefficient: the planar drive force is limited to μ·m·g (× friction). */
  wheel_friction: Positive.default(0.8),
  /** Viscous damping of the base, 1/s, linear and angular (× joint_damping). */
  linear_damping: z.number().min(0).default(0.5),
  angular_damping: z.number().min(0).default(0.5),
  /** Planar lidar: beams evenly spaced over 360°, beam 0 straight ahead, counter-clockwise. */
  lidar_rays: z.int().min(16).max(360).default(24),
  /** Lidar range limit, m (readings are clipped to it). */
  lidar_max_range: Positive.default(3),
  /**
   * `rapier`: one `world.castRay` per beam (any collider in the world is seen).
   * `geometry`: exact planar ray tests against the fixed colliders the task built, read once per
   * episode — same readings (to float rounding), much cheaper per scan (docs/design.md, "Findings");
   * misses colliders added by others.
   */
  lidar_backend: z.enum(['rapier', 'geometry']).default('rapier'),
  /** A wall/obstacle closer than this to the base surface counts as a collision, m. */
  contact_margin: z.number().min(0).default(0.005),
});

const NavigateWorld = z.strictObject({
  /** Nominal restitution of every collider (PhysicsParams.restitution replaces it when randomized). */
  restitution: z.number().min(0).max(1).default(0),
  /** Nominal friction of walls, obstacles and base (× friction). */
  friction: z.number().min(0).default(0.8),
  /** Inner side of the square arena, m; the arena is centred on the origin. */
  arena_size: Positive.default(4),
  wall_thickness: Positive.default(0.1),
  wall_height: Positive.default(0.3),
  /** Number of obstacles, drawn uniformly from [lo, hi]. */
  obstacle_count: IntRange.default([3, 8]),
  /** Obstacle footprint: box side lengths / cylinder diameter, m (× object_size). */
  obstacle_size: SizeRange.default([0.2, 0.6]),
  obstacle_height: Positive.default(0.3),
  /** Extra free space beyond the base radius that a path must keep from obstacles, m. */
  clearance: z.number().min(0).default(0.08),
  /** Free space beyond the base radius around the start and goal positions, m. */
  start_clearance: z.number().min(0).default(0.15),
  /** Minimum start–goal distance, m. */
  min_goal_distance: z.number().min(0).default(1.5),
  /** Occupancy-grid cell size for the reachability check and the expert's planner, m. */
  grid_resolution: Positive.default(0.05),
});

const NavigateSuccess = z.strictObject({
  /** Success when the base centre is this close to the goal, m. */
  goal_radius: Positive.default(0.2),
});

export const NavigateBlocks = {
  robot: NavigateRobot,
  world: NavigateWorld,
  success: NavigateSuccess,
};

export type NavigateRobotConfig = z.infer<typeof NavigateRobot>;
export type NavigateWorldConfig = z.infer<typeof NavigateWorld>;
