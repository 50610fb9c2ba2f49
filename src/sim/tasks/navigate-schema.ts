/** Scenario blocks specific to the navigate task (robot, world, success). */
import { z } from 'zod';

export const NavigateBlocks = {
  robot: z.strictObject({}),
  world: z.strictObject({ restitution: z.number().min(0).max(1).default(0) }),
  success: z.strictObject({}),
};
