/** The task registry: scenario `task:` → task module. */
import type { TaskDef } from '../task.js';
import type { GraspScenario, NavigateScenario } from '../scenario-schema.js';
import { graspTask } from './grasp/task.js';
import { navigateTask } from './navigate/task.js';

export const TASKS: { grasp: TaskDef<GraspScenario>; navigate: TaskDef<NavigateScenario> } = {
  grasp: graspTask,
  navigate: navigateTask,
};
