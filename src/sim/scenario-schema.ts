/**
 * The scenario file format (docs/scenarios.md): common blocks here, task-specific `robot`, `world`
 * and `success` blocks in each task's schema module.
 */
import { z } from 'zod';
import { GraspBlocks } from './tasks/grasp/schema.js';
import { NavigateBlocks } from './tasks/navigate/schema.js';
import { MujocoRangesSchema } from './mujoco/settings-ranges.js';
import { physicsKnobBlocks, rangeLeaf, sensorsBlock, timingKnobs } from './knob-schema.js';

const Range = z
  .tuple([z.number(), z.number()])
  .refine(([lo, hi]) => lo <= hi, { message: 'expected [lo, hi] with lo <= hi' });

const Bound = z.union([z.number(), z.array(z.number())]);

export const ComponentSchema = z.strictObject({
  name: z.string().min(1),
  size: z.int().min(1),
  unit: z.string(),
  low: Bound,
  high: Bound,
  description: z.string().optional(),
});

/** Domain randomization ranges; see physics-params.ts for what each one scales. */
export const RandomizationSchema = z.strictObject({
  friction: Range.optional(),
  restitution: Range.optional(),
  link_mass: Range.optional(),
  object_mass: Range.optional(),
  joint_damping: Range.optional(),
  motor_stiffness: Range.optional(),
  motor_damping: Range.optional(),
  motor_max_force: Range.optional(),
  gravity_tilt_deg: Range.optional(),
  object_size: Range.optional(),
  object_pose: Range.optional(),
  /** Gaussian observation noise, std as a fraction of each component's range, per step. */
  obs_noise: Range.optional(),
  /** Per-episode observation bias, std as a fraction of each component's range. */
  obs_bias: Range.optional(),
  /** Gaussian action noise, std in normalised action units. */
  action_noise: Range.optional(),
  /** Action latency in whole control steps. */
  action_latency: Range.optional(),
  /** Observation delay in whole control steps. */
  obs_delay: Range.optional(),
  // Per-actuator, per-body, per-sensor and sim-time knobs (knob-schema.ts; names checked against the
  // task and contract when the file is loaded: knob-targets.ts).
  ...physicsKnobBlocks(rangeLeaf),
  /** Sensor errors per observation component, in its unit. */
  sensors: sensorsBlock(rangeLeaf).optional(),
  /** Actuation delay, sensing delay and per-step jitter in sim time, s. */
  ...timingKnobs(rangeLeaf),
  /** Mixed-engine training: a fraction of randomized episodes in MuJoCo, with contact settings drawn per episode. */
  mujoco: MujocoRangesSchema.optional(),
});

/** Automatic domain randomization: ranges start narrow and widen while success stays high. */
export const AdrSchema = z.strictObject({
  /** Widen a boundary when the success rate measured at it is at or above this. */
  threshold_high: z.number().min(0).max(1).default(0.8),
  /** Narrow it when the rate falls below this. */
  threshold_low: z.number().min(0).max(1).default(0.5),
  /** Episodes measured at a boundary before deciding. */
  buffer: z.int().min(1).default(10),
  /** Fraction of the full range a boundary moves per decision. */
  step: z.number().gt(0).max(1).default(0.1),
  /** Probability that an episode pins one parameter to a boundary. */
  boundary_prob: z.number().min(0).max(1).default(0.5),
  /** Fraction of each full range open at the start (0 = nominal only). */
  initial: z.number().min(0).max(1).default(0),
});

const CommonBlocks = {
  name: z.string().min(1),
  description: z.string().optional(),
  control: z.strictObject({
    rate_hz: z.number().positive(),
    substeps: z.int().min(1),
    solver_iterations: z.int().min(1).default(4),
  }),
  episode: z.strictObject({ max_steps: z.int().min(1) }),
  contract: z.strictObject({ obs: z.array(ComponentSchema).min(1), action: z.array(ComponentSchema).min(1) }),
  /** Normalised action the robot applies when no command arrives in time. */
  safe_action: z.array(z.number().min(-1).max(1)),
  /** Weight per reward term; the reward is the weighted sum of the task's raw terms. */
  reward: z.record(z.string(), z.number()),
  randomization: RandomizationSchema.default({}),
  adr: AdrSchema.optional(),
};

export const ScenarioSchema = z.discriminatedUnion('task', [
  z.strictObject({ task: z.literal('grasp'), ...CommonBlocks, ...GraspBlocks }),
  z.strictObject({ task: z.literal('navigate'), ...CommonBlocks, ...NavigateBlocks }),
]);

export type Scenario = z.infer<typeof ScenarioSchema>;
export type GraspScenario = Extract<Scenario, { task: 'grasp' }>;
export type NavigateScenario = Extract<Scenario, { task: 'navigate' }>;
export type Randomization = z.infer<typeof RandomizationSchema>;
export type AdrConfig = z.infer<typeof AdrSchema>;
