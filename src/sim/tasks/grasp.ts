import type { TaskDef } from '../task.js';
import type { GraspScenario } from '../scenario-schema.js';

export const graspTask: TaskDef<GraspScenario> = {
  kind: 'grasp',
  rewardTerms: [],
  obsLayout: () => [],
  actionLayout: () => [],
  create: () => {
    throw new Error('not yet');
  },
  restore: () => {
    throw new Error('not yet');
  },
};
