/**
 * The demo's learning curves, drawn from the runs' metrics.jsonl: behaviour cloning with a dashed
 * rule where each DAgger round starts (the relabelled states join the training and validation
 * data there, so both losses jump), and fine-tuning with a rule at the epoch early stopping kept.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { renderLinePlot, type PlotMark, type PlotSeries } from '../../runs/plot.js';
import { RunDir, type MetricRow } from '../../runs/run-dir.js';

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function lossSeries(rows: MetricRow[]): PlotSeries[] {
  return (['trainLoss', 'valLoss'] as const).map((y) => ({
    name: y,
    points: rows.filter((r) => num(r.epoch) && num(r[y])).map((r) => [r.epoch as number, r[y] as number]),
  }));
}

/** A rule half an epoch before the first epoch of every DAgger round (round ≥ 1) in a BC run's rows. */
export function daggerMarks(rows: MetricRow[]): PlotMark[] {
  const first = new Map<number, number>();
  for (const r of rows) {
    if (r.final === true || !num(r.round) || !num(r.epoch) || r.round < 1) continue;
    first.set(r.round, Math.min(first.get(r.round) ?? Infinity, r.epoch));
  }
  return [...first.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([round, epoch]) => ({ x: epoch - 0.5, label: `DAgger round ${round}` }));
}

function readRows(run: string): MetricRow[] | null {
  return existsSync(join(run, 'metrics.jsonl')) ? new RunDir(run).readMetrics() : null;
}

/** The BC run's losses per epoch with its DAgger rounds marked; null when the run logged nothing. */
export async function bcCurve(run: string, title: string): Promise<string | null> {
  const rows = readRows(run);
  if (!rows?.length) return null;
  const train = rows.filter((r) => r.final !== true);
  return renderLinePlot({
    title,
    xTitle: 'epoch (all rounds)',
    yTitle: 'loss (MSE vs expert action)',
    series: lossSeries(train),
    marks: daggerMarks(train),
  });
}

/** The fine-tuning run's losses on the robot demonstrations, the epoch kept marked. */
export async function finetuneCurve(run: string, title: string, bestEpoch: number | null): Promise<string | null> {
  const rows = readRows(run);
  const train = rows?.filter((r) => r.phase === 'train') ?? [];
  if (!train.length) return null;
  return renderLinePlot({
    title,
    xTitle: 'epoch',
    yTitle: 'loss on robot demonstrations',
    series: lossSeries(train),
    marks: bestEpoch ? [{ x: bestEpoch, label: `kept: epoch ${bestEpoch}` }] : [],
  });
}
