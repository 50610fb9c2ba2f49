/** The grasp task state beyond the engine's snapshot (taskState()), and its checks. */
import type { Handles } from './build.js';

export interface GraspEpisodeState {
  /** TCP target x, y, z (m), gripper yaw target (rad), commanded opening (m). */
  target: number[];
  /** Cube centre height when resting on the table, m. */
  restZ: number;
  /** Cube edge, m. */
  edge: number;
  /** Consecutive control steps with the cube lifted. */
  holdSteps: number;
  succeeded: boolean;
  dropped: boolean;
  /** Arm joint targets after backlash (the transmission's side of the play), rad; only with backlash. */
  jointTargets?: number[];
}

/** The Rapier task state: the episode state and the handles of the world's bodies and joints. */
export interface GraspState extends GraspEpisodeState {
  handles: Handles;
}

/** A deep copy of a task state (for taskState() and restore()); Rapier's keeps its handles first. */
export function copyGraspState<S extends GraspEpisodeState & { handles?: Handles }>(s: S): S {
  const out: GraspEpisodeState & { handles?: Handles } = s.handles
    ? ({ handles: { bodies: [...s.handles.bodies], joints: [...s.handles.joints] } } as GraspState)
    : ({} as GraspEpisodeState);
  out.target = [...s.target];
  out.restZ = s.restZ;
  out.edge = s.edge;
  out.holdSteps = s.holdSteps;
  out.succeeded = s.succeeded;
  out.dropped = s.dropped;
  if (s.jointTargets) out.jointTargets = [...s.jointTargets];
  return out as S;
}

/** A task state read back from an episode file or a snapshot, checked for the fields every engine needs. */
export function readGraspState(json: unknown): GraspEpisodeState & { handles?: Handles } {
  const s = json as GraspEpisodeState | null;
  if (!s || typeof s !== 'object' || !Array.isArray(s.target) || s.target.length !== 5) {
    throw new Error('grasp: task state is not a grasp state (expected {target, restZ, edge, holdSteps, ...})');
  }
  return copyGraspState(s);
}
