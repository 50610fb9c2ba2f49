/** The live status of a PPO run: env steps on a bar, with recent training success and return and the last periodic evaluation. */
import type { PpoStart, PpoUpdateMetrics } from '../policy/ppo/ppo.js';
import { wholePercent } from '../ui/percent.js';
import type { Progress } from '../ui/progress.js';
import type { RunHooks } from '../ui/run-hooks.js';

/** Success rate and mean return over the last `k` updates' episodes (one update ends too few episodes to read). */
export function recentEpisodes(history: PpoUpdateMetrics[], k = 5): { success: number | null; ret: number | null } {
  const rows = history.slice(-k).filter((m) => m.episodes > 0);
  const n = rows.reduce((s, m) => s + m.episodes, 0);
  if (n === 0) return { success: null, ret: null };
  return {
    success: rows.reduce((s, m) => s + (m.successRate ?? 0) * m.episodes, 0) / n,
    ret: rows.reduce((s, m) => s + (m.episodeReturn ?? 0) * m.episodes, 0) / n,
  };
}

/** Callbacks for ppo.ts's trainPpo; the bar opens at onStart, when a resumed run knows how far it got. */
export function trainingProgress(hooks: Required<RunHooks>, scenarioName: string) {
  let bar: Progress | null = null;
  let stepsShown = 0;
  let lastEval: number | null = null;
  const history: PpoUpdateMetrics[] = [];
  return {
    onStart: (s: PpoStart) => {
      bar = hooks.progress(
        `ppo ${scenarioName}${s.update > 0 ? ` (resumed at update ${s.update})` : ''}`,
        s.totalEnvSteps - s.envSteps,
        'steps',
      );
      stepsShown = s.envSteps;
    },
    onProgress: (m: PpoUpdateMetrics, total: { updates: number }) => {
      history.push(m);
      const r = recentEpisodes(history);
      if (m.evalSuccessRate !== undefined) lastEval = m.evalSuccessRate;
      const ret = r.ret === null ? '–' : r.ret.toFixed(2);
      const evalText = lastEval === null ? '' : ` eval ${wholePercent(lastEval)}`;
      bar?.tick(
        m.envSteps - stepsShown,
        `update ${m.update}/${total.updates} train success ${wholePercent(r.success)} return ${ret}${evalText}`,
      );
      stepsShown = m.envSteps;
    },
    stop: () => bar?.stop(),
  };
}
