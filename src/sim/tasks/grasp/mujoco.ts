/** The grasp task in MuJoCo (placeholder: built in issue 13). */
import type { GraspScenario } from '../../scenario-schema.js';
import type { MujocoTaskDef } from '../../mujoco/task.js';

export const graspMujoco: MujocoTaskDef<GraspScenario> = {
  build() {
    throw new Error('grasp: not yet available in MuJoCo');
  },
  bind() {
    throw new Error('grasp: not yet available in MuJoCo');
  },
};
