/**
 * grasp — pick a cube up from a table with a 5-joint arm and a parallel gripper (Rapier impulse
 * joints with position motors; force-limited prismatic fingers). z up, metres; the robot base is
 * at the origin on the table top (z = 0). Ranges below are those of scenarios/grasp-cube.yaml.
 * The same world runs in MuJoCo (mujoco.ts, mjcf.ts): both engines build it from parts.ts, draw
 * the start from start.ts and share one instance (instance.ts, over the engine's plant.ts).
 *
 * Observation (float32, clipped to the contract ranges)
 * | name            | size | unit | range                          | meaning                                              |
 * |-----------------|------|------|--------------------------------|------------------------------------------------------|
 * | joint_pos       | 5    | rad  | joint limits                   | base yaw, shoulder, elbow, wrist pitch, wrist roll   |
 * | gripper_opening | 1    | m    | [0, 0.1]                       | measured distance between the finger pads            |
 * | gripper_cmd     | 1    | m    | [0, 0.09]                      | commanded opening (the integrated gripper action)    |
 * | ee_pos          | 3    | m    | [-0.1,-0.5,-0.05]..[0.6,0.5,0.4] | tool centre point (between the finger pads)        |
 * | ee_yaw          | 2    | 1    | [-1, 1]                        | sin, cos of 2·gripper yaw (gripper is 180° symmetric) |
 * | cube_pos        | 3    | m    | [-0.2,-0.5,-0.1]..[0.7,0.5,0.4] | cube centre                                         |
 * | cube_rel        | 3    | m    | [-0.4, 0.4]                    | cube centre − TCP                                    |
 * | cube_yaw        | 2    | 1    | [-1, 1]                        | sin, cos of 4·cube yaw (cube is 90° symmetric)       |
 * | yaw_rel         | 1    | rad  | [-π/4, π/4]                    | cube yaw − gripper yaw, wrapped to the nearest face  |
 *
 * Action (physical units after TaskEnv scales [-1, 1]; all deltas per control step)
 * | name         | size | unit | range            | meaning                                                  |
 * |--------------|------|------|------------------|----------------------------------------------------------|
 * | ee_delta     | 3    | m    | [-0.015, 0.015]  | move the TCP target (clamped to the workspace)           |
 * | ee_yaw_delta | 1    | rad  | [-0.15, 0.15]    | turn the gripper yaw target                              |
 * | gripper      | 1    | m    | [-0.015, 0.015]  | change the commanded opening: −1 closes, +1 opens, 0 holds |
 * The TCP target is solved top-down by analytic IK into joint motor targets; the fingers squeeze
 * with at most `robot.gripper.force` newtons each, so closing on the cube grips it.
 *
 * Reward terms (raw; weights in the scenario's `reward:` block)
 * | reach   | −‖cube − TCP‖ (m)                                               |
 * | grasp   | 1 while the cube is between the pads and the fingers squeeze it |
 * | lift    | clamp((cube z − resting z) / lift_height, 0, 1)                 |
 * | success | 1 on the step the task succeeds                                 |
 * | drop    | 1 on the step the cube falls off the table                      |
 *
 * Start state: arm at `robot.home` (gripper open); cube of edge U(world.cube.edge) × object_size at
 * x ~ U(spawn_x), y ~ U(spawn_y), yaw ~ U(spawn_yaw), shifted by object_pose metres in a random direction.
 * Termination: success when the cube centre is ≥ success.lift_height above its resting height for
 * success.hold_s; failure when the cube leaves the table footprint or drops world.fall_depth below
 * its top. No time limit here (episode.max_steps, applied by a wrapper).
 */
import type { TaskDef } from '../../task.js';
import type { GraspScenario } from '../../scenario-schema.js';
import { armGeometry } from './kinematics.js';
import { build } from './build.js';
import { GraspInstance } from './instance.js';
import { RapierPlant } from './rapier-plant.js';
import { drawStart } from './start.js';
import { readGraspState, type GraspState } from './state.js';

const GRASP_OBS = [
  { name: 'joint_pos', size: 5 },
  { name: 'gripper_opening', size: 1 },
  { name: 'gripper_cmd', size: 1 },
  { name: 'ee_pos', size: 3 },
  { name: 'ee_yaw', size: 2 },
  { name: 'cube_pos', size: 3 },
  { name: 'cube_rel', size: 3 },
  { name: 'cube_yaw', size: 2 },
  { name: 'yaw_rel', size: 1 },
];

const GRASP_ACTIONS = [
  { name: 'ee_delta', size: 3 },
  { name: 'ee_yaw_delta', size: 1 },
  { name: 'gripper', size: 1 },
];

export const graspTask: TaskDef<GraspScenario> = {
  kind: 'grasp',
  rewardTerms: ['reach', 'grasp', 'lift', 'success', 'drop'],
  obsLayout: () => GRASP_OBS.map((c) => ({ ...c })),
  actionLayout: () => GRASP_ACTIONS.map((c) => ({ ...c })),

  create(R, world, sc, params, rng) {
    const g = armGeometry(sc.robot);
    const start = drawStart(sc, g, params, rng);
    const handles = build(R, world, sc, g, params, start);
    const state: GraspState = { handles, ...start.state };
    return new GraspInstance(new RapierPlant(world, handles, sc, params), sc, params, g, state);
  },

  restore(_R, world, sc, params, json) {
    const state = readGraspState(json);
    if (!state.handles) throw new Error('grasp: task state has no Rapier handles (taken in another engine?)');
    return new GraspInstance(
      new RapierPlant(world, state.handles, sc, params),
      sc,
      params,
      armGeometry(sc.robot),
      state,
    );
  },
};

export type { GraspPrivileged } from './instance.js';
