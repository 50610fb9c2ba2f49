/**
 * How much the demo does per stage. The default fits 10 minutes on 2 cores, `--quick` 3 minutes;
 * the figures it reports carry their episode counts and 95% intervals, so a smaller budget shows
 * up as a wider interval rather than as a different claim.
 */
import type { Scenario } from '../../sim/scenario-schema.js';
import { RECIPES, type Recipe } from '../recipes.js';

export interface DemoBudget extends Recipe {
  /** Evaluation episodes in sim (each). */
  simEval: number;
  /**
   * Test episodes on the emulated robot, per policy (the same seeds for each). Hundreds: the
   * policies compared differ by a few points there, and on 50-100 episodes the order of two
   * policies 1-3 points apart came out reversed (docs/design.md, "Findings").
   */
  robotEval: number;
  /**
   * Held-out robot episodes (seeds the test never uses) that the pretrained and the fine-tuned
   * policy each run before one of them is deployed for the test.
   */
  robotValidation: number;
  /** Teleoperated demonstrations recorded on the robot for fine-tuning. */
  realDemos: number;
  finetuneEpochs: number;
  /**
   * DAgger rounds of the nominal-only baseline (nominal sim). Its demonstrations and epochs are
   * the randomized policy's; the quick budget drops its rounds to stay quick.
   */
  baselineDaggerRounds: number;
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
      robotEval: 100,
      robotValidation: 50,
      realDemos: 10,
      finetuneEpochs: 100,
      baselineDaggerRounds: 0,
    };
  return {
    ...recipe,
    simEval: 100,
    robotEval: 400,
    robotValidation: 200,
    realDemos: 20,
    finetuneEpochs: recipe.epochs,
    baselineDaggerRounds: recipe.daggerRounds,
  };
}
