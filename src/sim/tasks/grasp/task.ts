/**
 * grasp — pick a cube up from a table with a 5-joint arm and a parallel gripper (Rapier impulse
 * joints with position motors; force-limited prismatic fingers). z up, metres; the robot base is
 * at the origin on the table top (z = 0). Ranges below are those of scenarios/grasp-cube.yaml.
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
import { armGeometry, solveIK } from './kinematics.js';
import { build } from './build.js';
import { GraspInstance, copyGraspState, type GraspState } from './instance.js';

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
    const cw = sc.world.cube;
    // Fixed draw order: edge, x, y, yaw, displacement direction.
    const edge = rng.uniform(cw.edge[0], cw.edge[1]) * params.object_size;
    let x = rng.uniform(cw.spawn_x[0], cw.spawn_x[1]);
    let y = rng.uniform(cw.spawn_y[0], cw.spawn_y[1]);
    const yaw = rng.uniform(cw.spawn_yaw[0], cw.spawn_yaw[1]);
    const dir = rng.uniform(0, 2 * Math.PI);
    x += params.object_pose * Math.cos(dir);
    y += params.object_pose * Math.sin(dir);
    const home = sc.robot.home;
    const state: GraspState = {
      handles: { bodies: [], joints: [] },
      target: [home.position[0], home.position[1], home.position[2], home.yaw, Math.min(home.opening, g.maxOpening)],
      restZ: edge / 2,
      edge,
      holdSteps: 0,
      succeeded: false,
      dropped: false,
    };
    GraspInstance.clampTarget(sc, g, state.target);
    const q = new Float64Array(5);
    solveIK(g, state.target[0], state.target[1], state.target[2], state.target[3], q);
    state.handles = build(R, world, sc, g, params, { q, opening: state.target[4], cube: { x, y, yaw, edge } });
    return new GraspInstance(world, sc, params, g, state);
  },

  restore(_R, world, sc, params, json) {
    const s = json as GraspState;
    if (!s || typeof s !== 'object' || !Array.isArray((s as { target?: unknown }).target)) {
      throw new Error('grasp: task state is not a grasp state (expected {handles, target, restZ, edge, ...})');
    }
    const state = copyGraspState(s);
    return new GraspInstance(world, sc, params, armGeometry(sc.robot), state);
  },
};

export type { GraspPrivileged } from './instance.js';
