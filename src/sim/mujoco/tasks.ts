/** The MuJoCo task registry: scenario `task:` → its MJCF builder and instance. */
import type { GraspScenario, NavigateScenario } from '../scenario-schema.js';
import type { MujocoTaskDef } from './task.js';
import { graspMujoco } from '../tasks/grasp/mujoco.js';
import { navigateMujoco } from '../tasks/navigate/mujoco.js';

export const MUJOCO_TASKS: { grasp: MujocoTaskDef<GraspScenario>; navigate: MujocoTaskDef<NavigateScenario> } = {
  grasp: graspMujoco,
  navigate: navigateMujoco,
};
