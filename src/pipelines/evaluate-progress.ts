/** evaluate() with a progress display that shows the live success rate. */
import type { Scenario } from '../sim/scenario-schema.js';
import { evaluate, type EvaluateOptions, type EvaluationReport } from '../policy/evaluate.js';
import type { GaussianMlpPolicy } from '../policy/models/gaussian-policy.js';
import { withDefaults, type RunHooks } from '../ui/run-hooks.js';
import { formatPercent } from '../ui/percent.js';

/** `label` names the bar (default: eval <scenario>, with "(randomized)" when it is). */
export async function evaluateWithProgress(
  policy: GaussianMlpPolicy,
  sc: Scenario,
  o: Omit<EvaluateOptions, 'onEpisode'> & { episodes: number },
  hooks?: RunHooks,
  label = `eval ${sc.name}${o.randomize ? ' (randomized)' : ''}`,
): Promise<EvaluationReport> {
  const bar = withDefaults(hooks).progress(label, o.episodes, 'ep');
  let ok = 0;
  let n = 0;
  try {
    return await evaluate(policy, sc, {
      ...o,
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
