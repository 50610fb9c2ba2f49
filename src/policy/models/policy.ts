/** What the rest of sim2real sees of a policy: observations in, normalised actions out. */
import type { Contract } from '../../sim/contract.js';
import type { Rng } from '../../sim/rng.js';
import type { DelayCompensation } from '../../sim/delay-compensator.js';

export interface ActOptions {
  /** The mean action (default true); false samples from the policy's distribution with `rng`. */
  deterministic?: boolean;
  rng?: Rng;
}

export interface Policy {
  /** Identifies the weights, e.g. `bc-grasp-cube-2026-11-28T06:30:00Z`. */
  readonly id: string;
  readonly contract: Contract;
  /**
   * The control-loop delay the policy compensates (steps 0: none). `act` itself is stateless: whoever
   * runs episodes (evaluation, the policy server) keeps a DelayCompensator per episode and feeds
   * `act` its predictions.
   */
  readonly delayCompensation?: DelayCompensation;
  /** One observation → one action in [-1, 1]. The returned array is the caller's to keep. */
  act(obs: Float32Array, opts?: ActOptions): Float32Array;
  /** `n` observations, row-major [n × obsSize] → [n × actSize]. */
  actBatch(obs: Float32Array, n: number, opts?: ActOptions): Float32Array;
}
