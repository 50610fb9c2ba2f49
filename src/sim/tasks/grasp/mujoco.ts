/** The grasp task in MuJoCo: the episode's MJCF from the shared start draw, and the shared instance on a MuJoCo plant. */
import type { GraspScenario } from '../../scenario-schema.js';
import type { MujocoTaskDef } from '../../mujoco/task.js';
import { armGeometry } from './kinematics.js';
import { GraspInstance } from './instance.js';
import { graspMjcf } from './mjcf.js';
import { MujocoPlant } from './mujoco-plant.js';
import { drawStart } from './start.js';
import { readGraspState } from './state.js';

export const graspMujoco: MujocoTaskDef<GraspScenario> = {
  build(sc, params, rng, settings, dt) {
    const g = armGeometry(sc.robot);
    const start = drawStart(sc, g, params, rng);
    return { xml: graspMjcf(sc, g, params, settings, dt, start), state: { ...start.state } };
  },

  bind(mj, model, data, sc, params, json, fresh) {
    const state = readGraspState(json);
    const plant = new MujocoPlant(mj, model, data);
    if (fresh) {
      // The start state is the model's keyframe (qpos and ctrl).
      mj.mj_resetDataKeyframe(model, data, 0);
      mj.mj_forward(model, data);
    }
    return new GraspInstance(plant, sc, params, armGeometry(sc.robot), state);
  },
};
