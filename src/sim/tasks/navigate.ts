import type { TaskDef } from '../task.js';
import type { NavigateScenario } from '../scenario-schema.js';

export const navigateTask: TaskDef<NavigateScenario> = {
  kind: 'navigate',
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
