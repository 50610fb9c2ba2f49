/** The navigate task in MuJoCo (placeholder: built in issue 13). */
import type { NavigateScenario } from '../../scenario-schema.js';
import type { MujocoTaskDef } from '../../mujoco/task.js';

export const navigateMujoco: MujocoTaskDef<NavigateScenario> = {
  build() {
    throw new Error('navigate: not yet available in MuJoCo');
  },
  bind() {
    throw new Error('navigate: not yet available in MuJoCo');
  },
};
