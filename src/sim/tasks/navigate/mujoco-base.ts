/**
 * The differential-drive base in MuJoCo (mujoco-mjcf.ts builds it): the unicycle command becomes
 * the two wheels' speed targets (each through its dead band, actuator_backlash), which MuJoCo's
 * velocity actuators track inside mj_step; pose and velocities are read from the free joint.
 * MuJoCo's arrays are views created per access (mujoco.ts), so none is kept across calls.
 */
import type { PhysicsParams } from '../../physics-params.js';
import { bodyFriction } from '../../physics-params.js';
import type { NavigateScenario } from '../../scenario-schema.js';
import type { MjData, MjModel, Mujoco } from '../../mujoco/mujoco.js';
import type { DriveBase } from './instance.js';
import { NAMES, wheelRadius } from './mujoco-mjcf.js';
import { deadBand, wheelKnobs, wheelTrack } from './wheels.js';

const G = 9.81;

export class MujocoDriveBase implements DriveBase {
  x = 0;
  y = 0;
  /** The lidar's scan plane: the Rapier base's centre height (the chassis rides on its wheels). */
  readonly z: number;
  cosYaw = 1;
  sinYaw = 0;
  v = 0;
  w = 0;
  speed = 0;
  cmdV = 0;
  cmdW = 0;
  /** Traction plus twice gravity: a generous bound, MuJoCo's soft contacts give a little. */
  readonly maxAccel: number;
  /** The chassis body (the lidar excludes it). */
  readonly body: number;
  private readonly qpos: number;
  private readonly qvel: number;
  private readonly actuators: [number, number];
  private readonly wheelRadius: number;
  private readonly halfTrack: number;
  private readonly backlash: [number, number];
  private readonly maxSpeed: number;
  private readonly maxYawRate: number;

  constructor(
    mj: Mujoco,
    model: MjModel,
    private readonly data: MjData,
    sc: NavigateScenario,
    params: PhysicsParams,
  ) {
    const id = (type: { value: number }, name: string) => {
      const i = mj.mj_name2id(model, type.value, name);
      if (i < 0) throw new Error(`navigate: the MuJoCo model has no ${name}`);
      return i;
    };
    this.body = id(mj.mjtObj.mjOBJ_BODY, NAMES.base);
    const joint = id(mj.mjtObj.mjOBJ_JOINT, NAMES.base);
    this.qpos = (model.jnt_qposadr as Int32Array)[joint];
    this.qvel = (model.jnt_dofadr as Int32Array)[joint];
    this.actuators = [id(mj.mjtObj.mjOBJ_ACTUATOR, NAMES.wheels[0]), id(mj.mjtObj.mjOBJ_ACTUATOR, NAMES.wheels[1])];
    this.z = sc.robot.height / 2;
    this.wheelRadius = wheelRadius(sc);
    this.halfTrack = wheelTrack(sc) / 2;
    this.backlash = wheelKnobs(params).backlash;
    this.maxSpeed = sc.robot.max_speed;
    this.maxYawRate = sc.robot.max_yaw_rate;
    const mu =
      sc.robot.wheel_friction * params.friction * bodyFriction(params, 'wheels') * bodyFriction(params, 'floor');
    this.maxAccel = (mu + 2) * G;
  }

  command(v: number, w: number): void {
    const vc = v > this.maxSpeed ? this.maxSpeed : v < -this.maxSpeed ? -this.maxSpeed : v;
    const wc = w > this.maxYawRate ? this.maxYawRate : w < -this.maxYawRate ? -this.maxYawRate : w;
    const h = this.halfTrack;
    const left = deadBand(vc - wc * h, this.backlash[0]);
    const right = deadBand(vc + wc * h, this.backlash[1]);
    this.cmdV = (left + right) / 2;
    this.cmdW = (right - left) / (2 * h);
    const ctrl = this.data.ctrl as Float64Array;
    ctrl[this.actuators[0]] = left / this.wheelRadius;
    ctrl[this.actuators[1]] = right / this.wheelRadius;
  }

  /** The wheels' loops run inside mj_step. */
  drive(): void {}

  readPosition(): void {
    const q = this.data.qpos as Float64Array;
    this.x = q[this.qpos];
    this.y = q[this.qpos + 1];
  }

  readState(): void {
    const q = this.data.qpos as Float64Array;
    const a = this.qpos;
    this.x = q[a];
    this.y = q[a + 1];
    const qw = q[a + 3];
    const qx = q[a + 4];
    const qy = q[a + 5];
    const qz = q[a + 6];
    // The body's x axis in the world, projected on the floor: the heading.
    const hx = 1 - 2 * (qy * qy + qz * qz);
    const hy = 2 * (qx * qy + qw * qz);
    const n = Math.sqrt(hx * hx + hy * hy);
    this.cosYaw = hx / n;
    this.sinYaw = hy / n;
    // Free joint: linear velocity in the world frame, angular velocity in the body frame.
    const u = this.data.qvel as Float64Array;
    const d = this.qvel;
    const vx = u[d];
    const vy = u[d + 1];
    this.v = this.cosYaw * vx + this.sinYaw * vy;
    this.speed = Math.sqrt(vx * vx + vy * vy);
    // Yaw rate: the world-z component of the body's angular velocity.
    this.w =
      2 * (qx * qz - qw * qy) * u[d + 3] +
      2 * (qy * qz + qw * qx) * u[d + 4] +
      (1 - 2 * (qx * qx + qy * qy)) * u[d + 5];
  }
}
