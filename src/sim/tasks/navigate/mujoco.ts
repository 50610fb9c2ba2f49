/**
 * The navigate task in MuJoCo: the same arena from the same seed (sampleLayout), built as MJCF
 * (mujoco-mjcf.ts) with a wheeled robot (mujoco-base.ts) and MuJoCo's ray casts as the lidar
 * (mujoco-lidar.ts); observation, scoring and the contact check are the Rapier task's (instance.ts).
 * Every geom is the task's, and the wheels and casters lie inside the chassis footprint, so the
 * planar distance to the walls and obstacles decides contact alone.
 */
import type { Json } from '../../env.js';
import type { MujocoTaskDef } from '../../mujoco/task.js';
import type { NavigateScenario } from '../../scenario-schema.js';
import { StaticShapes } from './geometry.js';
import { NavigateEpisode, parseProgress, type NavigateProgress } from './instance.js';
import { sampleLayout } from './layout.js';
import { MujocoDriveBase } from './mujoco-base.js';
import { MujocoLidar } from './mujoco-lidar.js';
import { navigateMjcf } from './mujoco-mjcf.js';

class MujocoNavigateInstance extends NavigateEpisode {
  taskState(): Json {
    return JSON.parse(JSON.stringify(this.progress())) as Json;
  }
}

export const navigateMujoco: MujocoTaskDef<NavigateScenario> = {
  build(sc, params, rng, settings, dt) {
    const layout = sampleLayout(sc, params, rng);
    const state: NavigateProgress = { layout, cmd: [0, 0], prevDist: null, collided: false };
    return { xml: navigateMjcf(sc, params, layout, settings, dt), state: JSON.parse(JSON.stringify(state)) as Json };
  },
  bind(mj, model, data, sc, params, state, fresh) {
    const s = parseProgress<NavigateProgress>(state, {});
    // The lidar's ray casts need the geoms placed (restored data comes with them).
    if (fresh) mj.mj_forward(model, data);
    const base = new MujocoDriveBase(mj, model, data, sc, params);
    const shapes = new StaticShapes([...s.layout.walls, ...s.layout.obstacles]);
    const lidar = new MujocoLidar(mj, model, data, base.body, sc.robot.lidar_rays, sc.robot.lidar_max_range);
    try {
      return new MujocoNavigateInstance(sc, s.layout, shapes, base, lidar, s);
    } catch (e) {
      lidar.dispose(); // its wasm buffers: the episode cannot free an instance that was never made
      throw e;
    }
  },
};
