/**
 * Pretraining per task, as `collect` and `train --algo bc` are run with: shared by `sim2real demo`
 * and `npm run bench -- transfer` so the demo's figures and the benchmark's come from one recipe.
 */
import { BC_DEFAULTS } from '../policy/bc/bc.js';
import { FINETUNE_DEFAULTS } from '../policy/finetune/finetune.js';
import type { Scenario } from '../sim/scenario-schema.js';

export interface Recipe {
  simDemos: number;
  /** DART noise on the executed expert action while collecting. */
  expertNoise: number;
  daggerRounds: number;
  daggerEpisodes: number;
  /** Maximum BC epochs (early stopping usually ends sooner). */
  epochs: number;
  /**
   * Demonstrations and DAgger episodes observe the present predicted from each episode's drawn
   * delays (`collect --compensate-delay`); the policy then compensates a robot's loop delay — its
   * training mean until fine-tuning estimates the robot's own from real episodes.
   */
  compensateDelay: boolean;
  /** Fraction of every fine-tuning minibatch drawn from the sim demonstrations (co-training). */
  finetuneSimFraction: number;
}

// Why each choice (the measurements behind them: docs/design.md, "Findings"):
// - Navigation needs DAgger rounds: plain cloning of the map-aware expert plateaus.
// - Navigation compensates delay: a memoryless policy under the shipped robot's loop delay tops out
//   below the compensated one however many robot demonstrations it is cloned from. Grasp's delays
//   are one step each: not worth it there.
// - Fine-tuning co-trains with the sim demonstrations; navigation keeps more of them (0.7), which did
//   best on validation seeds the benchmark never uses.
// - DAgger on grasp collapses the policy (the expert's action depends on its own phase history).
// - Grasp clones from 2000 demos (a minute of collection and training): with fewer, which
//   pretraining run one gets moves the fine-tuned policy's robot success by several points.
export const RECIPES: Record<Scenario['task'], Recipe> = {
  grasp: {
    simDemos: 2000,
    expertNoise: 0.2,
    daggerRounds: 0,
    daggerEpisodes: 0,
    epochs: BC_DEFAULTS.epochs,
    compensateDelay: false,
    finetuneSimFraction: FINETUNE_DEFAULTS.simFraction,
  },
  navigate: {
    simDemos: 300,
    expertNoise: 0.2,
    daggerRounds: 3,
    daggerEpisodes: 100,
    epochs: BC_DEFAULTS.epochs,
    compensateDelay: true,
    finetuneSimFraction: 0.7,
  },
};
