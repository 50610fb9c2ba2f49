/**
 * An episode's start state, drawn from the episode's rng. Both engines call this, so an episode of
 * a given seed starts from the same cube and arm pose in Rapier and in MuJoCo.
 */
import type { GraspScenario } from '../../scenario-schema.js';
import type { PhysicsParams } from '../../physics-params.js';
import type { Rng } from '../../rng.js';
import { backlash } from './parts.js';
import { clampTarget, solveIK, type ArmGeometry } from './kinematics.js';
import type { GraspEpisodeState } from './state.js';

export interface GraspStart {
  /** Task state at the start (no engine handles yet). */
  state: GraspEpisodeState;
  /** Arm joint angles of the home pose. */
  q: Float64Array;
  /** Finger opening, m. */
  opening: number;
  cube: { x: number; y: number; yaw: number; edge: number };
}

export function drawStart(sc: GraspScenario, g: ArmGeometry, params: PhysicsParams, rng: Rng): GraspStart {
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
  const target = [home.position[0], home.position[1], home.position[2], home.yaw, Math.min(home.opening, g.maxOpening)];
  clampTarget(sc.robot, g, target);
  const q = new Float64Array(5);
  solveIK(g, target[0], target[1], target[2], target[3], q);
  const state: GraspEpisodeState = {
    target,
    restZ: edge / 2,
    edge,
    holdSteps: 0,
    succeeded: false,
    dropped: false,
  };
  // Backlash keeps where each joint's transmission sits; without it the state stays as it always was.
  if (backlash(params).some((b) => b > 0)) state.jointTargets = Array.from(q);
  return { state, q, opening: target[4], cube: { x, y, yaw, edge } };
}
