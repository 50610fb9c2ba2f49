/** The demo's transfer table (terminal) and report.html (tables, learning curves, success, latency). */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readEpisodes } from '../../episodes/reader.js';
import { wilson } from '../../episodes/summary.js';
import { renderHistogram, renderRateBars, type RateBar } from '../../runs/plot.js';
import { reportHtml, type ReportFigure } from '../../runs/report-html.js';
import { formatTable } from '../../ui/text-table.js';
import type { DemoResult } from './result.js';
import { formatPercent as pct } from '../../ui/percent.js';

export interface TransferRow {
  policy: string;
  where: string;
  episodes: number;
  successes: number;
  rate: number;
  ci95: [number, number];
}

function row(policy: string, where: string, episodes: number, successes: number): TransferRow {
  return {
    policy,
    where,
    episodes,
    successes,
    rate: episodes ? successes / episodes : 0,
    ci95: wilson(successes, episodes),
  };
}

export function transferRows(r: DemoResult): TransferRow[] {
  const n = (x: { episodes: number; successes: number }) => [x.episodes, x.successes] as const;
  return [
    row('scripted expert (privileged state)', 'randomized sim', ...n(r.simExpert)),
    row('pretrained (BC on sim demos)', 'nominal sim', ...n(r.simNominal)),
    row('pretrained (BC on sim demos)', 'randomized sim', ...n(r.simRandomized)),
    row('pretrained, zero-shot', 'emulated robot', ...n(r.robotZeroShot)),
    row('teleoperated demonstrations', 'emulated robot', ...n(r.realDemos)),
    row(`fine-tuned on ${r.realDemos.episodes} robot demos`, 'emulated robot', ...n(r.robotFinetuned)),
  ];
}

export function formatTransferTable(rows: TransferRow[]): string {
  return formatTable(
    ['policy', 'where', 'episodes', 'success', '95% interval'],
    rows.map((t) => [t.policy, t.where, String(t.episodes), pct(t.rate), `${pct(t.ci95[0])}–${pct(t.ci95[1])}`]),
  );
}

function svgIfExists(file: string): string | null {
  return existsSync(file) ? readFileSync(file, 'utf8') : null;
}

/** Per-step latencies (ms) the policy server recorded, per policy id. */
async function servedLatencies(dir: string): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  if (!existsSync(dir)) return out;
  const { episodes } = await readEpisodes(dir);
  for (const e of episodes) {
    const key = e.start.policyId ?? 'unknown';
    const list = out.get(key) ?? [];
    for (const s of e.steps) if (typeof s.latencyMs === 'number') list.push(s.latencyMs);
    out.set(key, list);
  }
  return out;
}

/** Write report.html and demo.json into the run directory; returns the report's path. */
export async function writeDemoReport(out: string, r: DemoResult): Promise<string> {
  const rows = transferRows(r);
  writeFileSync(join(out, 'demo.json'), JSON.stringify({ ...r, transfer: rows }, null, 2));
  const figures: ReportFigure[] = [];
  const bars: RateBar[] = rows.map((t) => ({ label: `${t.policy} — ${t.where}`, rate: t.rate, ci95: t.ci95 }));
  figures.push({
    title: 'Success before and after fine-tuning (95% intervals)',
    svg: await renderRateBars('success rate', bars, 420),
  });
  const pretrainLoss = svgIfExists(join(r.pretrainRun, 'loss.svg'));
  if (pretrainLoss)
    figures.push({ title: 'Learning curve: behaviour cloning on sim demonstrations', svg: pretrainLoss });
  const finetuneLoss = svgIfExists(join(r.finetuneRun, 'loss.svg'));
  if (finetuneLoss) figures.push({ title: 'Learning curve: fine-tuning on robot demonstrations', svg: finetuneLoss });
  const latencies = await servedLatencies(r.recordings);
  for (const [policyId, ms] of latencies) {
    if (ms.length)
      figures.push({
        title: `Server latency per step, observation in → action out (${policyId})`,
        svg: await renderHistogram(`${ms.length} steps`, 'latency, ms', ms),
      });
  }
  const robot = (label: string, e: DemoResult['robotZeroShot']) => [
    label,
    e.steps,
    e.missedSteps,
    e.latencyMs.p50.toFixed(2),
    e.latencyMs.p99.toFixed(2),
    e.latencyMs.max.toFixed(2),
    e.policyVersions.join(', '),
  ];
  const html = reportHtml({
    title: `sim2real demo — ${r.scenario}`,
    summary: [
      `Scenario ${r.scenarioFile}, reality profile ${r.realityFile} (hidden from training), ${r.quick ? 'quick budget' : 'default budget'}; ${r.totalSeconds.toFixed(0)} s in all.`,
      'Every success rate is a count of seeded episodes with its Wilson 95% interval; sim and robot evaluations use deterministic policy actions.',
      ...(r.loopDelay
        ? [
            `Delay compensation: the pretrained policy assumes a ${r.loopDelay.assumed}-step control-loop delay (its training mean); the robot's, estimated from the ${r.realDemos.episodes} demonstrations, is ${r.loopDelay.estimated} steps, which the fine-tuned policy compensates.`,
          ]
        : []),
    ],
    tables: [
      {
        title: 'Transfer',
        columns: ['policy', 'where', 'episodes', 'success', '95% interval'],
        rows: rows.map((t) => [t.policy, t.where, t.episodes, pct(t.rate), `${pct(t.ci95[0])}–${pct(t.ci95[1])}`]),
      },
      {
        title: 'Robot link (robot side: observation sent → action received)',
        columns: ['phase', 'steps', 'missed deadlines', 'p50 ms', 'p99 ms', 'max ms', 'policy versions'],
        rows: [robot('zero-shot', r.robotZeroShot), robot('fine-tuned', r.robotFinetuned)],
      },
      {
        title: 'Stages',
        columns: ['stage', 'seconds', 'artefact'],
        rows: r.stages.map((s) => [s.stage, s.seconds.toFixed(1), s.artefact]),
      },
    ],
    figures,
  });
  const file = join(out, 'report.html');
  writeFileSync(file, html);
  return file;
}
