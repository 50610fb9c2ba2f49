/** Scripted experts: controllers with privileged state that produce demonstration episodes. */
import type { Scenario } from './scenario-schema.js';

export interface Expert {
  /** Forget the previous episode (call after every env reset). */
  reset(): void;
  /**
   * The next normalised action in [-1, 1] from privileged ground truth (TaskEnv.privileged()).
   * Deterministic: same privileged state sequence ⇒ same actions.
   */
  act(privileged: unknown): Float32Array;
}

export type ExpertFactory = (sc: Scenario) => Expert;
