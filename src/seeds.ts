/**
 * Seed bands: every stage that draws episodes starts its seeds in a band of its own, so that no two
 * stages (demonstrations at 0+, evaluation, DAgger relabelling, robot demonstrations, the demo's
 * robot runs) ever see the same episode, and a result measured on one band is not tuned on another.
 * Each band leaves room for a million episodes.
 */
export const SEED_BANDS = {
  /** `collect` and training data: seeds from 0. */
  demonstrations: 0,
  /** `eval` and every evaluation in training runs. */
  evaluation: 1_000_000,
  /** DAgger rounds' relabelled episodes. */
  dagger: 2_000_000,
  /** Teleoperated demonstrations on the emulated robot (`robot demos`; transfer-bench draws step from here). */
  robotDemos: 3_000_000,
  /** The demo's evaluations on the emulated robot. */
  demoRobot: 5_000_000,
  /** The demo's teleoperated robot demonstrations. */
  demoRobotDemos: 7_000_000,
  /** The demo's held-out robot episodes that decide whether the fine-tuned policy is deployed. */
  demoRobotValidation: 8_000_000,
} as const;
