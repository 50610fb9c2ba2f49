/**
 * What a fine-tuning run records: its report (finetune.json, `finetune --json`) and its rows in
 * metrics.jsonl, which a resumed run rewrites so that every row appears once.
 */
import type { RunDir, MetricRow } from '../runs/run-dir.js';
import type { BcProgress } from '../policy/bc/bc.js';
import type { FinetuneMode, Measurement } from '../policy/finetune/finetune.js';

/** A before or after measurement, without the per-episode detail of the evaluation report. */
export interface MeasurementSummary {
  /** MSE of tanh(mean) vs the target validation labels; null without target data. */
  targetValLoss: number | null;
  evaluation: {
    episodes: number;
    successRate: number;
    successCi95: [number, number];
    meanReturn: number;
    meanLength: number;
    seed: number;
    randomized: boolean;
    reality: string | null;
  } | null;
}

/** The report of a fine-tuning run (finetune.json); its policy.json's `metrics` are the fields from `mode` on. */
export interface FinetuneReport {
  /** The run directory. */
  run: string;
  /** The fine-tuned policy's checkpoint directory. */
  policy: string;
  policyId: string;
  /** Id of the policy it started from. */
  from: string;
  mode: FinetuneMode;
  /** Learning rate used (null for `normalizer-only`). */
  lr: number | null;
  before: MeasurementSummary;
  after: MeasurementSummary;
  bc: { epochs: number; bestEpoch: number; bestValLoss: number; stoppedEarly: boolean; seconds: number } | null;
}

export function summarise(m: Measurement): MeasurementSummary {
  const e = m.evaluation;
  return {
    targetValLoss: m.targetValLoss,
    evaluation: e
      ? {
          episodes: e.episodes,
          successRate: e.successRate,
          successCi95: e.successCi95,
          meanReturn: e.meanReturn,
          meanLength: e.meanLength,
          seed: e.seed,
          randomized: e.randomized,
          reality: e.reality,
        }
      : null,
  };
}

function measuredRow(phase: string, m: Measurement): MetricRow {
  const e = m.evaluation;
  return {
    phase,
    targetValLoss: m.targetValLoss,
    successRate: e?.successRate ?? null,
    successCi95Lo: e?.successCi95[0] ?? null,
    successCi95Hi: e?.successCi95[1] ?? null,
    meanReturn: e?.meanReturn ?? null,
    evalEpisodes: e?.episodes ?? null,
  };
}

/**
 * metrics.jsonl of a fine-tuning run: a `before` row, a `train` row per BC epoch (PPO logs its own
 * rows), an `after` row. A resumed run measures `before` again but keeps the row it has, and drops
 * the rows of what it redoes: epochs past its checkpoint, a previous `after`.
 */
export function finetuneMetrics(run: RunDir, resume: boolean) {
  const hasBefore = resume && run.readMetrics().some((r) => r.phase === 'before');
  let pruned = !resume;
  return {
    measured(phase: 'before' | 'after', m: Measurement): void {
      if (phase === 'before' && hasBefore) return;
      if (phase === 'after' && resume) run.rewriteMetrics((r) => r.phase !== 'after');
      run.logMetrics(measuredRow(phase, m));
    },
    epoch(p: BcProgress): void {
      if (!pruned) {
        run.rewriteMetrics((r) => r.phase !== 'train' || (typeof r.epoch === 'number' && r.epoch < p.epoch));
        pruned = true;
      }
      const valLoss = Number.isFinite(p.valLoss) ? p.valLoss : null;
      run.logMetrics({ phase: 'train', epoch: p.epoch, trainLoss: p.trainLoss, valLoss, bestValLoss: p.bestValLoss });
    },
  };
}
