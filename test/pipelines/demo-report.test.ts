/**
 * The demo's report without running the demo: a DemoResult as a finished run leaves it (learning
 * curves from real metrics.jsonl files written by RunDir) → transfer rows, report.html, the choice
 * of the deployed policy and the DAgger marks.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EmulateReport } from '../../src/bridge/emulated-robot.js';
import { wilson } from '../../src/episodes/summary.js';
import type { EvaluationReport } from '../../src/policy/evaluate.js';
import { RunDir } from '../../src/runs/run-dir.js';
import { demoBudget } from '../../src/pipelines/demo/budget.js';
import { chooseDeployed } from '../../src/pipelines/demo/choice.js';
import { daggerMarks } from '../../src/pipelines/demo/curves.js';
import {
  formatDemoNotes,
  formatTransferTable,
  transferRows,
  writeDemoReport,
} from '../../src/pipelines/demo/report.js';
import type { DemoResult } from '../../src/pipelines/demo/result.js';
import { loadScenario } from '../../src/sim/scenario-file.js';

const dir = mkdtempSync(join(tmpdir(), 'sim2real-demo-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const stats = (episodes: number, successes: number) => ({
  episodes,
  successes,
  successRate: successes / episodes,
  successCi95: wilson(successes, episodes),
  meanReturn: 1,
  meanLength: 80,
});

const evaluation = (episodes: number, successes: number): EvaluationReport => ({
  ...stats(episodes, successes),
  scenario: 'navigate-obstacles',
  policyId: 'p',
  timeouts: 0,
  seed: 1_000_000,
  randomized: false,
  reality: null,
  failedSeeds: [],
  files: [],
  seconds: 1,
});

const robot = (episodes: number, successes: number, version = 1): EmulateReport => ({
  ...stats(episodes, successes),
  scenario: 'navigate-obstacles',
  reality: 'navigate-obstacles-real',
  steps: episodes * 80,
  seconds: 1,
  missedSteps: 0,
  latencyMs: { p50: 0.2, p99: 1, max: 3 },
  overrunFraction: null,
  startLagMs: null,
  policyVersions: [version],
});

/** A BC run's metrics: `rounds` DAgger rounds of `epochs` epochs each after round 0, then the final row. */
function bcRun(name: string, rounds: number, epochs: number): string {
  const run = new RunDir(join(dir, name));
  let epoch = 0;
  for (let round = 0; round <= rounds; round++)
    for (let e = 1; e <= epochs; e++)
      run.logMetrics({ epoch: ++epoch, round, roundEpoch: e, trainLoss: 0.1 / e, valLoss: 0.12 / e + 0.01 * round });
  run.logMetrics({ epoch, round: rounds, roundEpoch: epochs, final: true, successRate: 0.9 });
  return run.path;
}

function result(deployed: 'finetuned' | 'pretrained'): DemoResult {
  const sc = loadScenario('scenarios/navigate-obstacles.yaml');
  const budget = demoBudget(sc, false);
  const finetune = new RunDir(join(dir, `finetune-${deployed}`));
  for (let e = 1; e <= 12; e++)
    finetune.logMetrics({ phase: 'train', epoch: e, trainLoss: 0.05, valLoss: 0.08 - e * 0.001 });
  finetune.writeJson('finetune.json', { bc: { bestEpoch: 12 } });
  const valFinetuned = deployed === 'finetuned' ? robot(200, 190, 4) : robot(200, 185, 4);
  const choice = chooseDeployed(robot(200, 187), valFinetuned);
  return {
    scenario: sc.name,
    scenarioFile: 'scenarios/navigate-obstacles.yaml',
    realityFile: 'scenarios/reality/navigate-obstacles.yaml',
    realityEngine: 'rapier',
    quick: false,
    budget,
    stages: [{ stage: 'collect', seconds: 1, artefact: 'sim-demos' }],
    simExpert: { episodes: 300, successes: 300, trainEpisodes: 270, valEpisodes: 30 },
    realDemos: { episodes: 20, successes: 20, trainEpisodes: 16, valEpisodes: 4 },
    pretrainRun: bcRun('pretrain', 3, 10),
    finetuneRun: finetune.path,
    simNominal: evaluation(100, 85),
    simRandomized: evaluation(100, 92),
    robotZeroShot: robot(400, 371, 2),
    robotFinetuned: deployed === 'finetuned' ? robot(400, 376, 4) : robot(400, 371, 2),
    robotNominalOnly: robot(400, 250),
    baseline: {
      pretrainRun: bcRun('pretrain-nominal', 3, 8),
      simExpert: { episodes: 300, successes: 300, trainEpisodes: 270, valEpisodes: 30 },
      daggerRounds: 3,
      simNominal: evaluation(100, 90),
    },
    validation: { seed: 8_000_000, pretrained: robot(200, 187, 2), finetuned: valFinetuned, ...choice },
    loopDelay: { assumed: 4, estimated: 6 },
    recordings: join(dir, 'no-recordings'),
    totalSeconds: 100,
  };
}

describe('choosing the deployed policy', () => {
  it('deploys the fine-tuned policy only when it succeeds in more validation episodes', () => {
    expect(chooseDeployed(stats(50, 40), stats(50, 41)).deployed).toBe('finetuned');
    expect(chooseDeployed(stats(50, 40), stats(50, 40)).deployed).toBe('pretrained');
    const worse = chooseDeployed(stats(50, 40), stats(50, 38));
    expect(worse.deployed).toBe('pretrained');
    expect(worse.reason).toMatch(/fine-tuned 38\/50, pretrained 40\/50/);
    expect(() => chooseDeployed(stats(50, 40), stats(30, 20))).toThrow(/one size/);
  });
});

describe('DAgger marks', () => {
  it('puts one rule before the first epoch of every round after the first', () => {
    const rows = [0, 0, 1, 1, 1, 2, 2].map((round, i) => ({ epoch: i + 1, round, trainLoss: 0.1 }));
    expect(daggerMarks([...rows, { epoch: 7, round: 2, final: true }])).toEqual([
      { x: 2.5, label: 'DAgger round 1' },
      { x: 5.5, label: 'DAgger round 2' },
    ]);
    expect(daggerMarks(rows.filter((r) => r.round === 0))).toEqual([]);
  });
});

describe('the demo report', () => {
  it('shows (a), (b) and (c) on the robot beside the sim rows, with consistent demo counts', async () => {
    const r = result('finetuned');
    const rows = transferRows(r);
    const robotRows = rows.filter((t) => t.where === 'emulated robot' && t.variant);
    expect(robotRows.map((t) => t.variant)).toEqual(['a', 'b', 'c']);
    expect(rows.filter((t) => t.where !== 'emulated robot').map((t) => t.variant)).toEqual([null, 'a', 'b', 'b']);
    const labels = rows.map((t) => `${t.policy} ${t.where}`);
    expect(new Set(labels).size).toBe(labels.length);
    const c = rows.find((t) => t.variant === 'c')!;
    expect(c.policy).toBe('(c) fine-tuned on 20 robot demos (16 train / 4 val)');
    expect(c.episodes).toBe(400);
    expect(formatTransferTable(rows)).toContain('(a) nominal-only: BC on nominal-sim demos');
    const notes = formatDemoNotes(r);
    expect(notes).toContain('20 robot demos (16 train / 4 val) for fine-tuning');
    expect(notes).toContain('300 randomized-sim demos (270 train / 30 val)');
    expect(notes).toMatch(/fine-tuned 190\/200, pretrained 187\/200 .*the fine-tuned policy is deployed/);

    const html = readFileSync(await writeDemoReport(join(dir), r), 'utf8');
    for (const part of [
      '(a) nominal-only: BC on nominal-sim demos',
      '(b) randomized, zero-shot',
      '(c) fine-tuned on 20 robot demos (16 train / 4 val)',
      'Robot validation',
      'DAgger round 1',
      'DAgger round 3',
      'kept: epoch',
    ])
      expect(html.includes(part), part).toBe(true);
    // Wherever the robot demos are counted, they are counted the same way.
    for (const m of html.matchAll(/(\d+) robot demo/g)) expect(m[1]).toBe('20');
    expect(html.includes('…')).toBe(false);
  });

  it('says so when the pretrained policy stays deployed, (c) then being (b)', () => {
    const r = result('pretrained');
    const rows = transferRows(r);
    const b = rows.find((t) => t.variant === 'b' && t.where === 'emulated robot')!;
    const c = rows.find((t) => t.variant === 'c')!;
    expect(c.policy).toMatch(/pretrained kept/);
    expect(c.successes).toBe(b.successes);
    expect(formatDemoNotes(r)).toMatch(/did not beat the pretrained policy, which stays deployed/);
  });
});
