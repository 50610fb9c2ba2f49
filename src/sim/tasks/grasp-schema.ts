/** Scenario blocks specific to the grasp task (robot, world, success). */
import { z } from 'zod';

export const GraspBlocks = {
  robot: z.strictObject({}),
  world: z.strictObject({ restitution: z.number().min(0).max(1).default(0) }),
  success: z.strictObject({}),
};
