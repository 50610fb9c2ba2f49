/** The grasp plant in MuJoCo: body poses from the model's kinematics, targets into the position actuators' controls. */
import type { MjData, MjModel, Mujoco } from '../../mujoco/mujoco.js';
import { BODY_NAMES, N_BODIES } from './parts.js';
import type { GraspPlant } from './plant.js';

export class MujocoPlant implements GraspPlant {
  /** MuJoCo body id per slot (slot 0, the ground, unused). */
  private readonly ids = new Int32Array(N_BODIES);

  constructor(
    private readonly mj: Mujoco,
    private readonly model: MjModel,
    private readonly data: MjData,
  ) {
    for (let i = 1; i < N_BODIES; i++) {
      const id = mj.mj_name2id(model, mj.mjtObj.mjOBJ_BODY.value, BODY_NAMES[i]);
      if (id < 0) throw new Error(`grasp: the MuJoCo model has no body "${BODY_NAMES[i]}"`);
      this.ids[i] = id;
    }
    if (model.nu !== 7) throw new Error(`grasp: the MuJoCo model has ${model.nu} actuators, expected 7`);
  }

  readPoses(P: Float64Array): void {
    // mj_step leaves xpos/xquat at the state before its integration; bring them up to qpos first.
    this.mj.mj_kinematics(this.model, this.data);
    // Views into wasm memory are made per access: take them once per read, never keep them.
    const xpos = this.data.xpos as Float64Array;
    const xquat = this.data.xquat as Float64Array;
    for (let i = 1; i < N_BODIES; i++) {
      const id = this.ids[i];
      const o = 7 * i;
      P[o] = xpos[3 * id];
      P[o + 1] = xpos[3 * id + 1];
      P[o + 2] = xpos[3 * id + 2];
      // MuJoCo quaternions are (w, x, y, z); the pose array's are (x, y, z, w).
      P[o + 3] = xquat[4 * id + 1];
      P[o + 4] = xquat[4 * id + 2];
      P[o + 5] = xquat[4 * id + 3];
      P[o + 6] = xquat[4 * id];
    }
  }

  setTargets(q: Float64Array, finger: number): void {
    const ctrl = this.data.ctrl as Float64Array;
    for (let i = 0; i < 5; i++) ctrl[i] = q[i];
    ctrl[5] = finger;
    ctrl[6] = finger;
  }
}
