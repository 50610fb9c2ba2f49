/**
 * Pretraining per task, as `collect` and `train --algo bc` are run with: shared by `sim2real demo`
 * and `npm run bench -- transfer` so the demo's figures and the benchmark's come from one recipe.
 */
import { BC_DEFAULTS } from './bc.js';
import type { Scenario } from '../sim/scenario-schema.js';

export interface Recipe {
  simDemos: number;
  /** DART noise on the executed expert action while collecting. */
  expertNoise: number;
  daggerRounds: number;
  daggerEpisodes: number;
  /** Maximum BC epochs (early stopping usually ends sooner). */
  epochs: number;
}

// Navigation needs DAgger rounds: plain cloning of the map-aware expert plateaus around 85-90%.
// DAgger on grasp collapses the policy (the expert's action depends on its own phase history).
export const RECIPES: Record<Scenario['task'], Recipe> = {
  grasp: { simDemos: 300, expertNoise: 0.2, daggerRounds: 0, daggerEpisodes: 0, epochs: BC_DEFAULTS.epochs },
  navigate: { simDemos: 300, expertNoise: 0.2, daggerRounds: 3, daggerEpisodes: 100, epochs: BC_DEFAULTS.epochs },
};
