/**
 * What the grasp instance needs from a physics engine: the bodies' poses, and somewhere to send
 * joint and finger targets. Sensing, scoring and the observation live once, in GraspInstance.
 */
export interface GraspPlant {
  /** Write body poses into P: slot i (parts.ts) at 7i as x, y, z, qx, qy, qz, qw; slot 0 is left alone. */
  readPoses(P: Float64Array): void;
  /** Position targets of the five arm joints (rad) and of each finger's travel from the centre (m). */
  setTargets(q: Float64Array, finger: number): void;
}
