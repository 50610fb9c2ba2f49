/**
 * How much the demo does per stage. The default fits 10 minutes on 2 cores, `--quick` 3 minutes;
 * the figures it reports carry their episode counts and 95% intervals, so a smaller budget shows
 * up as a wider interval rather than as a different claim.
 */
import type { Scenario } from '../../sim/scenario-schema.js';
import { RECIPES, type Recipe } from '../recipes.js';

export interface DemoBudget extends Recipe {
  /** Evaluation episodes in sim and on the emulated robot (each). */
  simEval: number;
  robotEval: number;
  /** Teleoperated demonstrations recorded on the robot for fine-tuning. */
  realDemos: number;
  finetuneEpochs: number;
}

export function demoBudget(sc: Scenario, quick: boolean): DemoBudget {
  const recipe = RECIPES[sc.task];
  if (quick)
    return {
      ...recipe,
      simDemos: 100,
      daggerEpisodes: Math.min(recipe.daggerEpisodes, 30),
      daggerRounds: Math.min(recipe.daggerRounds, 1),
      simEval: 50,
      robotEval: 50,
      realDemos: 10,
      finetuneEpochs: 100,
    };
  return { ...recipe, simEval: 100, robotEval: 100, realDemos: 20, finetuneEpochs: recipe.epochs };
}
