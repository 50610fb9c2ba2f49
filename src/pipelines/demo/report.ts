/** The demo's transfer table (terminal) and report.html (tables, learning curves, success, latency). */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readEpisodes } from '../../episodes/reader.js';
import { wilson } from '../../episodes/summary.js';
import { renderHistogram, renderRateBars, type RateBar } from '../../runs/plot.js';
import { reportHtml, type ReportFigure, type ReportTable } from '../../runs/report-html.js';
import { formatTable } from '../../ui/text-table.js';
import type { DemoResult, DemoSplit } from './result.js';
import { formatPercent as pct } from '../../ui/percent.js';
import { bcCurve, finetuneCurve } from './curves.js';

export interface TransferRow {
  /** The three policies the demo compares on the robot: (a) nominal-only, (b) randomized, (c) after fine-tuning. */
  variant: 'a' | 'b' | 'c' | null;
  policy: string;
  where: string;
  episodes: number;
  successes: number;
  rate: number;
  ci95: [number, number];
}

function row(variant: TransferRow['variant'], policy: string, where: string, episodes: number, successes: number) {
  return {
    variant,
    policy,
    where,
    episodes,
    successes,
    rate: episodes ? successes / episodes : 0,
    ci95: wilson(successes, episodes),
  } satisfies TransferRow;
}

/** "20 robot demos (16 train / 4 val)": a set of demonstrations and how training split it. */
export const demoCount = (n: number, what: string, s: DemoSplit): string =>
  `${n} ${what} (${s.trainEpisodes} train / ${s.valEpisodes} val)`;

/** What (c) is: the fine-tuned policy, or the pretrained one when fine-tuning did not beat it on validation. */
export function deployedLabel(r: DemoResult): string {
  return r.validation.deployed === 'finetuned'
    ? `(c) fine-tuned on ${demoCount(r.realDemos.episodes, 'robot demos', r.realDemos)}`
    : '(c) pretrained kept (fine-tuned no better on validation)';
}

export function transferRows(r: DemoResult): TransferRow[] {
  const n = (x: { episodes: number; successes: number }) => [x.episodes, x.successes] as const;
  const a = '(a) nominal-only: BC on nominal-sim demos';
  const b = '(b) randomized: BC on randomized-sim demos';
  return [
    row(null, 'scripted expert (privileged state)', 'randomized sim', ...n(r.simExpert)),
    row('a', a, 'nominal sim', ...n(r.baseline.simNominal)),
    row('b', b, 'nominal sim', ...n(r.simNominal)),
    row('b', b, 'randomized sim', ...n(r.simRandomized)),
    row('a', a, 'emulated robot', ...n(r.robotNominalOnly)),
    row('b', '(b) randomized, zero-shot', 'emulated robot', ...n(r.robotZeroShot)),
    row(null, 'teleoperated demonstrations', 'emulated robot', ...n(r.realDemos)),
    row('c', deployedLabel(r), 'emulated robot', ...n(r.robotFinetuned)),
  ];
}

const TRANSFER_COLUMNS = ['policy', 'where', 'episodes', 'success', '95% interval'];
const transferCells = (t: TransferRow) => [
  t.policy,
  t.where,
  String(t.episodes),
  pct(t.rate),
  `${pct(t.ci95[0])}–${pct(t.ci95[1])}`,
];

export function formatTransferTable(rows: TransferRow[]): string {
  return formatTable(TRANSFER_COLUMNS, rows.map(transferCells));
}

/** Every set of demonstrations with its train / validation split (one line, the same in the terminal and report.html). */
export function demonstrationsLine(r: DemoResult): string {
  const rounds = (n: number) => `${n} DAgger round${n === 1 ? '' : 's'}`;
  const b = r.budget;
  const base = r.baseline.daggerRounds === b.daggerRounds ? '' : `, ${rounds(r.baseline.daggerRounds)}`;
  return (
    `Demonstrations: ${demoCount(r.simExpert.episodes, 'randomized-sim demos', r.simExpert)} for (b)` +
    `${b.daggerRounds ? ` + ${rounds(b.daggerRounds)} of ${b.daggerEpisodes} episodes` : ''}; ` +
    `${demoCount(r.baseline.simExpert.episodes, 'nominal-sim demos', r.baseline.simExpert)} for (a)${base}; ` +
    `${demoCount(r.realDemos.episodes, 'robot demos', r.realDemos)} for fine-tuning.`
  );
}

/** The choice between the fine-tuned and the pretrained policy, with both validation figures. */
export function validationLine(r: DemoResult): string {
  const v = r.validation;
  return `Robot validation (${v.pretrained.episodes} held-out episodes each, seeds from ${v.seed}): ${v.reason}.`;
}

/** The lines under the terminal table. */
export function formatDemoNotes(r: DemoResult): string {
  return [demonstrationsLine(r), validationLine(r)].join('\n');
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

function policyIdIn(dir: string): string | null {
  const file = join(dir, 'policy', 'policy.json');
  return existsSync(file) ? ((JSON.parse(readFileSync(file, 'utf8')) as { id?: string }).id ?? null) : null;
}

function bestEpochOf(finetuneRun: string): number | null {
  const file = join(finetuneRun, 'finetune.json');
  if (!existsSync(file)) return null;
  return (JSON.parse(readFileSync(file, 'utf8')) as { bc?: { bestEpoch?: number } | null }).bc?.bestEpoch ?? null;
}

async function figures(r: DemoResult, rows: TransferRow[]): Promise<ReportFigure[]> {
  const out: ReportFigure[] = [];
  const bars: RateBar[] = rows.map((t) => ({
    label: `${t.policy}\n${t.where}`,
    group: t.where,
    rate: t.rate,
    ci95: t.ci95,
  }));
  out.push({
    title: 'Success in sim and on the robot (95% intervals)',
    svg: await renderRateBars('success rate', bars, 380),
  });
  const curves: [string, Promise<string | null>][] = [
    [
      `Learning curve (b): behaviour cloning on ${demoCount(r.simExpert.episodes, 'randomized-sim demos', r.simExpert)}; dashed: a DAgger round starts, its relabelled states join the data`,
      bcCurve(r.pretrainRun, `(b) behaviour cloning, ${r.scenario}`),
    ],
    [
      `Learning curve (a): behaviour cloning on ${demoCount(r.baseline.simExpert.episodes, 'nominal-sim demos', r.baseline.simExpert)}`,
      bcCurve(r.baseline.pretrainRun, `(a) behaviour cloning, ${r.scenario}`),
    ],
    [
      `Learning curve: fine-tuning on ${demoCount(r.realDemos.episodes, 'robot demos', r.realDemos)}, co-trained with the sim demos`,
      finetuneCurve(r.finetuneRun, `fine-tuning, ${r.scenario}`, bestEpochOf(r.finetuneRun)),
    ],
  ];
  for (const [title, svg] of curves) {
    const s = await svg;
    if (s) out.push({ title, svg: s });
  }
  const roles = new Map<string | null, string>([
    [policyIdIn(r.baseline.pretrainRun), '(a) nominal-only'],
    [policyIdIn(r.pretrainRun), '(b) randomized'],
    [policyIdIn(r.finetuneRun), 'fine-tuned'],
  ]);
  for (const [policyId, ms] of await servedLatencies(r.recordings)) {
    if (ms.length)
      out.push({
        title: `Server latency per step, observation in → action out: ${roles.get(policyId) ?? 'policy'} (${policyId})`,
        svg: await renderHistogram(`${ms.length} steps`, 'latency, ms', ms),
      });
  }
  return out;
}

function tables(r: DemoResult, rows: TransferRow[]): ReportTable[] {
  const robot = (label: string, e: DemoResult['robotZeroShot']) => [
    label,
    e.episodes,
    e.steps,
    e.missedSteps,
    e.latencyMs.p50.toFixed(2),
    e.latencyMs.p99.toFixed(2),
    e.latencyMs.max.toFixed(2),
    e.policyVersions.join(', '),
  ];
  const v = r.validation;
  const val = (label: string, e: DemoResult['robotZeroShot']) => [
    label,
    e.episodes,
    e.successes,
    pct(e.successRate),
    `${pct(e.successCi95[0])}–${pct(e.successCi95[1])}`,
  ];
  const links = [
    robot('(a) nominal-only, test', r.robotNominalOnly),
    robot('(b) zero-shot, test', r.robotZeroShot),
    robot('(b) pretrained, validation', v.pretrained),
    robot('fine-tuned, validation', v.finetuned),
  ];
  if (v.deployed === 'finetuned') links.push(robot('(c) fine-tuned, test', r.robotFinetuned));
  return [
    {
      title: 'Transfer',
      columns: TRANSFER_COLUMNS,
      rows: rows.map(transferCells),
      note: `${demonstrationsLine(r)} Robot rows are the same ${r.budget.robotEval} seeded test episodes for every policy.`,
    },
    {
      title: 'Robot validation: which policy is deployed after fine-tuning',
      columns: ['policy', 'episodes', 'successes', 'success', '95% interval'],
      rows: [val('(b) pretrained', v.pretrained), val('fine-tuned', v.finetuned)],
      note: `${v.reason}. The fine-tuned policy is deployed only if it succeeds in more of these episodes; their seeds (from ${v.seed}) are not the test's.`,
    },
    {
      title: 'Robot link (robot side: observation sent → action received)',
      columns: ['phase', 'episodes', 'steps', 'missed deadlines', 'p50 ms', 'p99 ms', 'max ms', 'policy versions'],
      rows: links,
    },
    {
      title: 'Stages',
      columns: ['stage', 'seconds', 'artefact'],
      rows: r.stages.map((s) => [s.stage, s.seconds.toFixed(1), s.artefact]),
    },
  ];
}

/** Write report.html and demo.json into the run directory; returns the report's path. */
export async function writeDemoReport(out: string, r: DemoResult): Promise<string> {
  const rows = transferRows(r);
  writeFileSync(join(out, 'demo.json'), JSON.stringify({ ...r, transfer: rows }, null, 2));
  const a = r.baseline;
  const html = reportHtml({
    title: `sim2real demo — ${r.scenario}`,
    summary: [
      `Scenario ${r.scenarioFile}, reality profile ${r.realityFile} (${r.realityEngine} physics, hidden from training), ${r.quick ? 'quick budget' : 'default budget'}; ${r.totalSeconds.toFixed(0)} s in all.`,
      `(a) is cloned from expert demonstrations in nominal sim only, (b) from as many in randomized sim (the same epochs${a.daggerRounds === r.budget.daggerRounds ? ' and DAgger rounds' : `; ${r.budget.daggerRounds} DAgger rounds, (a) ${a.daggerRounds} in the quick budget`}); (c) is (b) fine-tuned on robot demonstrations when that beat (b) on held-out robot episodes, else (b) kept.`,
      'Every success rate is a count of seeded episodes with its Wilson 95% interval; sim and robot evaluations use deterministic policy actions.',
      ...(r.loopDelay
        ? [
            `Delay compensation: the pretrained policy assumes a ${r.loopDelay.assumed}-step control-loop delay (its training mean); the robot's, estimated from the ${r.realDemos.episodes} demonstrations, is ${r.loopDelay.estimated} steps, which the fine-tuned policy compensates.`,
          ]
        : []),
    ],
    tables: tables(r, rows),
    figures: await figures(r, rows),
  });
  const file = join(out, 'report.html');
  writeFileSync(file, html);
  return file;
}
