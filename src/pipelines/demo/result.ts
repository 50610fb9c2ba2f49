/** What a finished demo reports (demo.json, report.html): every figure with its episode count and 95% interval. */
import type { EvaluationReport } from '../../policy/evaluate.js';
import type { EmulateReport } from '../../bridge/emulated-robot.js';
import type { StageRecord } from '../../runs/stage-log.js';
import type { DemoBudget } from './budget.js';

export interface DemoResult {
  scenario: string;
  scenarioFile: string;
  realityFile: string;
  quick: boolean;
  budget: DemoBudget;
  stages: StageRecord[];
  simExpert: { episodes: number; successes: number };
  realDemos: { episodes: number; successes: number };
  pretrainRun: string;
  finetuneRun: string;
  simNominal: EvaluationReport;
  simRandomized: EvaluationReport;
  robotZeroShot: EmulateReport;
  robotFinetuned: EmulateReport;
  /** Delay compensation (recipes that use it): the delay the pretrained policy assumes and the robot's, estimated from the demonstrations; control steps. */
  loopDelay: { assumed: number; estimated: number } | null;
  /** Served episodes (MCAP, source real, one file per robot session) recorded by the policy server. */
  recordings: string;
  totalSeconds: number;
}
