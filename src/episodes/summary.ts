/** Episode statistics: success rate with a Wilson 95% interval, returns and lengths. */
import type { Episode, EpisodeSource } from './types.js';

/**
 * Wilson score interval for a binomial proportion: `successes` of `n`, `z` standard normal quantile
 * (1.96 for 95%). Unlike the normal approximation it stays inside [0, 1] and is sensible at 0 and n.
 * With n = 0 it returns [0, 1] (no information).
 */
export function wilson(successes: number, n: number, z = 1.96): [number, number] {
  if (!(n > 0)) return [0, 1];
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, center - half), Math.min(1, center + half)];
}

/** The success statistics every evaluation-like report carries (docs/design.md, "Reports"). */
export interface SuccessStats {
  episodes: number;
  successes: number;
  successRate: number;
  /** Wilson 95% interval of the success rate. */
  successCi95: [number, number];
  meanReturn: number;
  meanLength: number;
}

export interface EpisodeSummary {
  files: number;
  /** Complete episodes (with an end record): the statistics below are over these only. */
  episodes: number;
  /** Episodes that started but have no end record (writer stopped mid-episode). */
  incompleteEpisodes: number;
  /** Steps in complete episodes. */
  steps: number;
  /** 0..1; NaN with no complete episode. */
  successRate: number;
  successCi95: [number, number];
  meanReturn: number;
  meanLength: number;
  minLength: number;
  maxLength: number;
  /** Complete episodes per source. */
  sources: Partial<Record<EpisodeSource, number>>;
  /** Complete episodes per scenario name. */
  scenarios: Record<string, number>;
}

/** Summarise episodes; `files` defaults to the number of distinct files they came from. */
export function summarizeEpisodes(episodes: readonly Episode[], opts: { files?: number } = {}): EpisodeSummary {
  const complete = episodes.filter((e) => e.end !== undefined);
  const n = complete.length;
  let successes = 0;
  let ret = 0;
  let len = 0;
  let steps = 0;
  let minLength = Infinity;
  let maxLength = -Infinity;
  const sources: Partial<Record<EpisodeSource, number>> = {};
  const scenarios: Record<string, number> = {};
  for (const e of complete) {
    const end = e.end!;
    if (end.success) successes++;
    ret += end.return;
    len += end.length;
    steps += e.steps.length;
    minLength = Math.min(minLength, end.length);
    maxLength = Math.max(maxLength, end.length);
    sources[e.start.source] = (sources[e.start.source] ?? 0) + 1;
    scenarios[e.start.scenario] = (scenarios[e.start.scenario] ?? 0) + 1;
  }
  return {
    files: opts.files ?? new Set(episodes.map((e) => e.file)).size,
    episodes: n,
    incompleteEpisodes: episodes.length - n,
    steps,
    successRate: n ? successes / n : NaN,
    successCi95: wilson(successes, n),
    meanReturn: n ? ret / n : NaN,
    meanLength: n ? len / n : NaN,
    minLength: n ? minLength : NaN,
    maxLength: n ? maxLength : NaN,
    sources,
    scenarios,
  };
}
