/** The transfer benchmark's table: rows pooled over draws of real episodes, and the goals read off them. */
import { wilson, type SuccessStats } from '../../episodes/summary.js';
import type { SuccessFields } from '../../policy/evaluate.js';

export type Variant = 'a' | 'b' | 'c' | 'd' | 'e' | 'recording';

export interface TransferRow extends SuccessFields {
  variant: Variant;
  what: string;
  /** Real episodes used (c, d, e), else null. */
  realEpisodes: number | null;
  /** Success rate in each draw of real episodes (c, d, e and the recording), else null. */
  perDraw: number[] | null;
  where: 'nominal sim' | 'robot';
  /** Training (or adaptation) plus evaluation wall time, s. */
  seconds: number;
}

export interface GoalCheck {
  goal: string;
  value: number | null;
  target: string;
  met: boolean | null;
}

/** One row from one or more evaluations (draws): episodes pooled, Wilson interval of the pooled count. */
export function pooledRow(
  variant: Variant,
  what: string,
  where: TransferRow['where'],
  realEpisodes: number | null,
  parts: SuccessStats[],
  seconds: number,
): TransferRow {
  const episodes = parts.reduce((n, p) => n + p.episodes, 0);
  const successes = parts.reduce((n, p) => n + p.successes, 0);
  const weighted = (f: (p: SuccessStats) => number) => parts.reduce((s, p) => s + f(p) * p.episodes, 0) / episodes;
  return {
    variant,
    what,
    realEpisodes,
    where,
    episodes,
    successRate: successes / episodes,
    successCi95: wilson(successes, episodes),
    meanReturn: weighted((p) => p.meanReturn),
    meanLength: weighted((p) => p.meanLength),
    perDraw: realEpisodes === null ? null : parts.map((p) => p.successRate),
    seconds,
  };
}

const rate = (rows: TransferRow[], v: Variant, where: TransferRow['where'], n: number | null = null) =>
  rows.find((r) => r.variant === v && r.where === where && r.realEpisodes === n)?.successRate ?? null;
const diff = (x: number | null, y: number | null) => (x === null || y === null ? null : x - y);

/** The goals the benchmark was built to show: the reality gap, what randomization buys, fine-tuning at N = 20. */
export function goals(rows: TransferRow[]): GoalCheck[] {
  const check = (goal: string, value: number | null, target: string, ok: (v: number) => boolean): GoalCheck => ({
    goal,
    value,
    target,
    met: value === null ? null : ok(value),
  });
  return [
    check(
      '(a) loses on the robot vs nominal sim',
      diff(rate(rows, 'a', 'nominal sim'), rate(rows, 'a', 'robot')),
      '≥ 25 points',
      (v) => v >= 0.25 - 1e-9,
    ),
    check(
      '(b) beats (a) on the robot',
      diff(rate(rows, 'b', 'robot'), rate(rows, 'a', 'robot')),
      '≥ 20 points',
      (v) => v >= 0.2 - 1e-9,
    ),
    check('(c) at N = 20', rate(rows, 'c', 'robot', 20), '≥ 90%', (v) => v >= 0.9 - 1e-9),
    check(
      '(c) − (d) at N = 20',
      diff(rate(rows, 'c', 'robot', 20), rate(rows, 'd', 'robot', 20)),
      '≥ 30 points',
      (v) => v >= 0.3 - 1e-9,
    ),
  ];
}
