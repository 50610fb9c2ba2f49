/** What a finished demo reports (demo.json, report.html): every figure with its episode count and 95% interval. */
import type { EvaluationReport } from '../../policy/evaluate.js';
import type { EmulateReport } from '../../bridge/emulated-robot.js';
import type { StageRecord } from '../../runs/stage-log.js';
import type { DemoBudget } from './budget.js';
import type { Deployed } from './choice.js';

/** How a set of demonstrations was split by episode for training (the split early stopping watches). */
export interface DemoSplit {
  trainEpisodes: number;
  valEpisodes: number;
}

export interface DemoResult {
  scenario: string;
  scenarioFile: string;
  realityFile: string;
  /** The physics engine of the emulated robot's world (the reality profile's `engine`). */
  realityEngine: 'rapier' | 'mujoco';
  quick: boolean;
  budget: DemoBudget;
  stages: StageRecord[];
  /** The expert's demonstrations in randomized sim, and how pretraining split them. */
  simExpert: { episodes: number; successes: number } & DemoSplit;
  /** Teleoperated robot demonstrations, and how fine-tuning split them. */
  realDemos: { episodes: number; successes: number } & DemoSplit;
  pretrainRun: string;
  finetuneRun: string;
  simNominal: EvaluationReport;
  simRandomized: EvaluationReport;
  /** (b) The randomized policy on the robot's test episodes, zero-shot. */
  robotZeroShot: EmulateReport;
  /**
   * (c) The policy deployed after fine-tuning on the same test episodes: the fine-tuned one, or —
   * when it did not beat the pretrained one on the validation episodes (`validation.deployed`) —
   * the pretrained one, whose test is (b).
   */
  robotFinetuned: EmulateReport;
  /** (a) The nominal-only baseline: cloned from demonstrations in nominal sim, on the same test episodes. */
  robotNominalOnly: EmulateReport;
  baseline: {
    pretrainRun: string;
    simExpert: { episodes: number; successes: number } & DemoSplit;
    daggerRounds: number;
    simNominal: EvaluationReport;
  };
  /** Both policies on held-out robot episodes (seeds from `seed`), and the one deployed for (c). */
  validation: {
    seed: number;
    pretrained: EmulateReport;
    finetuned: EmulateReport;
    deployed: Deployed;
    reason: string;
  };
  /** Delay compensation (recipes that use it): the delay the pretrained policy assumes and the robot's, estimated from the demonstrations; control steps. */
  loopDelay: { assumed: number; estimated: number } | null;
  /** Served episodes (MCAP, source real, one file per robot session) recorded by the policy server. */
  recordings: string;
  totalSeconds: number;
}
