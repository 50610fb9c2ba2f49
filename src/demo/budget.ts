/**
 * How much the demo does per stage. The default fits 10 minutes on 2 cores, `--quick` 3 minutes;
 * the figures it reports carry their episode counts and 95% intervals, so a smaller budget shows
 * up as a wider interval rather than as a different claim.
 */
import type { Scenario } from '../sim/scenario-schema.js';

export interface DemoBudget {
  /** Expert demonstrations in randomized sim, and the DART noise on the executed expert actions. */
  simDemos: number;
  expertNoise: number;
  /** DAgger rounds after the first BC fit, and expert-relabelled episodes per round. */
  daggerRounds: number;
  daggerEpisodes: number;
  /** Maximum BC epochs (early stopping usually ends sooner). */
  epochs: number;
  /** Evaluation episodes in sim and on the emulated robot (each). */
  simEval: number;
  robotEval: number;
  /** Teleoperated demonstrations recorded on the robot for fine-tuning. */
  realDemos: number;
  finetuneEpochs: number;
}

export function demoBudget(sc: Scenario, quick: boolean): DemoBudget {
  // Navigation from lidar needs DAgger to pass ~85% in sim (the expert plans over the whole map).
  const nav = sc.task === 'navigate';
  if (quick) {
    return { simDemos: 60, expertNoise: nav ? 0.3 : 0.1, daggerRounds: nav ? 1 : 0, daggerEpisodes: 20, epochs: 60, simEval: 30, robotEval: 30, realDemos: 10, finetuneEpochs: 60 };
  }
  return { simDemos: 200, expertNoise: nav ? 0.3 : 0.1, daggerRounds: nav ? 2 : 0, daggerEpisodes: 50, epochs: 200, simEval: 100, robotEval: 100, realDemos: 20, finetuneEpochs: 200 };
}
