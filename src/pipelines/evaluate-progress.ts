/** evaluate() with a progress display that shows the live success rate. */
import type { Scenario } from '../sim/scenario-schema.js';
import { evaluate, type EvaluationReport } from '../policy/evaluate.js';
import type { GaussianMlpPolicy } from '../policy/models/gaussian-policy.js';
import { withDefaults, type RunHooks } from '../ui/run-hooks.js';
import { formatPercent } from '../ui/text-table.js';

export interface ProgressEvaluation {
  episodes: number;
  workers: number;
  /** With the scenario's domain randomization (default: nominal sim). */
  randomize?: boolean;
}

export async function evaluateWithProgress(policy: GaussianMlpPolicy, sc: Scenario, o: ProgressEvaluation, hooks?: RunHooks): Promise<EvaluationReport> {
  const bar = withDefaults(hooks).progress(`eval ${sc.name}${o.randomize ? ' (randomized)' : ''}`, o.episodes, 'ep');
  let ok = 0;
  let n = 0;
  try {
    return await evaluate(policy, sc, {
      episodes: o.episodes,
      workers: o.workers,
      randomize: o.randomize,
      onEpisode: (e) => {
        n++;
        ok += e.success ? 1 : 0;
        bar.tick(1, `success ${formatPercent(ok / n)}`);
      },
    });
  } finally {
    bar.stop();
  }
}
