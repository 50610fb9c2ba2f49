/**
 * The fine-tuning run from code (src/pipelines/finetune.ts): its report and run directory, a run
 * stopped mid-training and resumed from its checkpoint with the settings it was started with, a
 * PPO run resumed, and `sim2real finetune --resume` refusing a finished run.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../../src/collect/collect.js';
import { loadScenario } from '../../src/sim/scenario-file.js';
import { initBackend } from '../../src/policy/models/backend.js';
import { loadDataset } from '../../src/policy/data/dataset.js';
import { trainBC } from '../../src/policy/bc/bc.js';
import { saveCheckpoint } from '../../src/policy/checkpoints/checkpoint.js';
import { finetuneRun, type FinetuneRunConfig } from '../../src/pipelines/finetune.js';
import type { RunHooks } from '../../src/ui/run-hooks.js';
import { sim2real } from '../cli/helpers.js';

const sc = loadScenario('grasp-cube');
const dir = mkdtempSync(join(tmpdir(), 'sim2real-pipeline-finetune-'));
const pre = join(dir, 'pre');
const target = join(dir, 'target');
let preId = '';

beforeAll(async () => {
  await initBackend();
  await collect({ scenario: sc, episodes: 6, out: join(dir, 'sim'), workers: 2, sceneEvery: 0 });
  await collect({
    scenario: sc,
    episodes: 6,
    out: target,
    workers: 2,
    randomize: true,
    expertNoise: 0.1,
    seed: 100,
    sceneEvery: 0,
  });
  const sim = await loadDataset(join(dir, 'sim'), { valFraction: 0.25, contract: sc.contract });
  const { policy } = await trainBC({
    data: sim,
    contract: sc.contract,
    hidden: [16, 16],
    epochs: 2,
    batchSize: 32,
    patience: 0,
  });
  await saveCheckpoint(join(pre, 'policy'), policy, {
    scenario: sc,
    training: { algo: 'bc', bc: { lr: 1e-3 } },
    metrics: null,
  });
  preId = policy.id;
  policy.dispose();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));
const rows = (run: string) =>
  readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const phases = (run: string) => rows(run).map((r) => (r.phase === 'train' ? r.epoch : (r.phase ?? 'ppo')));

/** Hooks that record what a human would see; `stopAt` throws from the bar once training reaches that epoch. */
function recorder(stopAt?: number) {
  const seen = { bars: [] as string[], ticks: 0, notes: [] as string[], warnings: [] as string[] };
  const hooks: RunHooks = {
    progress: (label, total, unit) => {
      seen.bars.push(`${label} ${total} ${unit}`);
      return {
        tick: (n = 1) => {
          seen.ticks += n;
          if (stopAt !== undefined && seen.ticks >= stopAt) throw new Error(`stopped at epoch ${seen.ticks}`);
        },
        stop: () => {},
      };
    },
    note: (line) => seen.notes.push(line),
    warn: (line) => seen.warnings.push(line),
  };
  return { seen, hooks };
}

describe('finetuneRun', () => {
  it('writes the run directory and returns the report it saves in finetune.json', async () => {
    const out = join(dir, 'ft');
    const config: FinetuneRunConfig = {
      policy: pre,
      data: target,
      out,
      epochs: 3,
      patience: 0,
      batchSize: 32,
      evaluation: { scenario: 'grasp-cube', episodes: 2 },
      workers: 1,
    };
    const { seen, hooks } = recorder();
    const report = await finetuneRun(config, { hooks });
    expect(report).toEqual(json(join(out, 'finetune.json')));
    expect(report).toMatchObject({
      run: out,
      policy: join(out, 'policy'),
      policyId: `${preId}-ft-bc`,
      from: preId,
      mode: 'bc',
    });
    expect(report.lr).toBeCloseTo(1e-4, 12);
    expect(report.bc!.epochs).toBe(3);
    expect(report.before.evaluation!.episodes).toBe(2);
    expect(report.after.targetValLoss).toEqual(expect.any(Number));
    expect(seen).toEqual({
      bars: [`finetune ${preId} 3 epoch`],
      ticks: 3,
      notes: ['evaluating before and after (2 episodes each)'],
      warnings: [],
    });
    expect(phases(out)).toEqual(['before', 1, 2, 3, 'after']);
    for (const f of ['config.json', 'loss.svg', 'checkpoints/latest/policy.json', 'policy/policy.json'])
      expect(existsSync(join(out, f))).toBe(true);
    const saved = json(join(out, 'config.json'));
    expect(saved.settings).toEqual(config);
    expect(saved.evaluation).toEqual({ scenario: 'grasp-cube', episodes: 2, randomize: false, reality: null });
    const policyFile = json(join(out, 'policy', 'policy.json'));
    expect(policyFile.metrics).toEqual({
      mode: report.mode,
      lr: report.lr,
      before: report.before,
      after: report.after,
      bc: report.bc,
    });
    expect(policyFile.training.startedAt).toBe(saved.startedAt);

    await expect(finetuneRun(config)).rejects.toThrow(`${out}: expected a new run directory, got one with a run in it`);
    await expect(finetuneRun(config, { resume: true })).rejects.toThrow(
      `${out}: --resume: this run has already finished`,
    );
    const cli = await sim2real(['finetune', '--policy', pre, '--data', target, '--out', out, '--resume']);
    expect(cli.code).toBe(2);
    const line = `sim2real: error: ${out}: --resume: this run has already finished (its policy is in ${join(out, 'policy')})`;
    expect(cli.stderr.trim().split('\n')).toEqual([line]);
  });

  it('stopped mid-training, resumes from its last checkpoint with the saved settings; every row appears once', async () => {
    const out = join(dir, 'ft-resume');
    const config: FinetuneRunConfig = {
      policy: pre,
      data: target,
      out,
      epochs: 6,
      patience: 0,
      batchSize: 32,
      freeze: 1,
    };
    const first = recorder(4);
    await expect(finetuneRun(config, { hooks: first.hooks })).rejects.toThrow('stopped at epoch 4');
    expect(existsSync(join(out, 'finetune.json'))).toBe(false);
    expect(existsSync(join(out, 'policy'))).toBe(false);
    // Epoch 4's row was logged before its checkpoint could be written.
    expect(json(join(out, 'checkpoints', 'latest', 'policy.json')).training.bcState.epoch).toBe(3);
    expect(phases(out)).toEqual(['before', 1, 2, 3, 4]);
    const startedAt = json(join(out, 'config.json')).startedAt;

    // Only the run directory is given: the rest comes from its config.json.
    const again = recorder();
    const report = await finetuneRun({ policy: 'ignored', out, epochs: 1 }, { hooks: again.hooks, resume: true });
    expect(report.bc!.epochs).toBe(6);
    expect(report.policyId).toBe(`${preId}-ft-bc`);
    expect(again.seen.bars).toEqual([`finetune ${preId} 6 epoch`]);
    expect(phases(out)).toEqual(['before', 1, 2, 3, 4, 5, 6, 'after']);
    const policyFile = json(join(out, 'policy', 'policy.json'));
    expect(policyFile.training).toMatchObject({ startedAt, freeze: 1, settings: config });
    expect(json(join(out, 'config.json')).startedAt).toBe(startedAt);

    // Stopped after its last checkpoint (the report lost): nothing is trained again.
    rmSync(join(out, 'finetune.json'));
    rmSync(join(out, 'policy'), { recursive: true });
    const last = recorder();
    const rewritten = await finetuneRun({ policy: pre, out }, { hooks: last.hooks, resume: true });
    expect(rewritten.bc!.epochs).toBe(6);
    expect(rewritten.after.targetValLoss).toBeCloseTo(report.after.targetValLoss!, 6);
    expect(phases(out)).toEqual(['before', 1, 2, 3, 4, 5, 6, 'after']);
  });

  it('ppo: resumes from the PPO checkpoint', async () => {
    const out = join(dir, 'ft-ppo');
    const config: FinetuneRunConfig = {
      policy: pre,
      out,
      mode: 'ppo',
      ppo: { scenario: 'grasp-cube', envSteps: 2048 },
      workers: 1,
    };
    const report = await finetuneRun(config);
    expect(report.mode).toBe('ppo');
    expect(report.bc).toBeNull();
    const logged = phases(out);
    rmSync(join(out, 'finetune.json'));
    rmSync(join(out, 'policy'), { recursive: true });
    const again = await finetuneRun(config, { resume: true });
    expect(again.policyId).toBe(report.policyId);
    expect(phases(out)).toEqual(logged);
    expect(logged).toEqual(['before', 'ppo', 'after']);
  });
});
