/** `sim2real train --algo bc` through the built CLI: killed with SIGKILL after a checkpoint, `--resume` finishes it. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../../src/collect/collect.js';
import { loadScenario } from '../../src/sim/scenario-file.js';
import { initBackend } from '../../src/policy/models/backend.js';
import { loadCheckpoint } from '../../src/policy/checkpoints/checkpoint.js';
import { readEpisodes } from '../../src/episodes/reader.js';
import { sim2real, spawnSim2real } from './helpers.js';

const SCENARIO = 'scenarios/grasp-cube.yaml';
const dir = mkdtempSync(join(tmpdir(), 'sim2real-train-bc-'));
const demos = join(dir, 'demos');
const sc = loadScenario(SCENARIO);

beforeAll(async () => {
  await collect({ scenario: sc, episodes: 10, out: demos, workers: 2, sceneEvery: 50 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const metricRows = (run: string) =>
  readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('train --algo bc', () => {
  it('resumes a run killed with SIGKILL after its first checkpoint and finishes with a valid policy', async () => {
    const run = join(dir, 'run');
    const EPOCHS = 20;
    const args = [
      'train',
      SCENARIO,
      '--algo',
      'bc',
      '--data',
      demos,
      '--out',
      run,
      '--epochs',
      String(EPOCHS),
      '--hidden',
      '32,32',
      '--batch-size',
      '16',
      '--patience',
      '0',
      '--eval-episodes',
      '2',
      '--workers',
      '1',
    ];
    // Killed (SIGKILL, by itself) as soon as its first checkpoint is on disk.
    const child = spawnSim2real(args, { killWhen: join(run, 'checkpoints', 'latest', 'policy.json') });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += String(d)));
    await new Promise<void>((r) => child.once('exit', () => r()));
    expect(child.signalCode, `train exited ${child.exitCode} instead: ${stderr}`).toBe('SIGKILL');
    expect(existsSync(join(run, 'checkpoints', 'latest', 'policy.json'))).toBe(true);
    expect(existsSync(join(run, 'policy'))).toBe(false); // killed before the end

    const again = await sim2real(['train', SCENARIO, '--algo', 'bc', '--out', run, '--resume', '--json']);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    const report = JSON.parse(again.stdout);
    expect(report.epochs).toBe(EPOCHS);
    for (const k of ['episodes', 'successRate', 'successCi95', 'meanReturn', 'meanLength'])
      expect(report).toHaveProperty(k);
    expect(report.episodes).toBe(2);

    // Every epoch logged exactly once, in order, then the final evaluation row.
    const rows = metricRows(run);
    const epochs = rows.filter((r) => r.final !== true).map((r) => r.epoch);
    expect(epochs).toEqual(Array.from({ length: EPOCHS }, (_, i) => i + 1));
    expect(rows.at(-1)).toMatchObject({ final: true, epoch: EPOCHS });
    expect(typeof rows.at(-1)!.successRate).toBe('number');
    for (const f of ['config.json', 'loss.svg', 'success.svg', 'eval.json'])
      expect(existsSync(join(run, f)), f).toBe(true);
    expect(readFileSync(join(run, 'loss.svg'), 'utf8')).toMatch(/^<svg/);

    await initBackend();
    const { policy, file } = await loadCheckpoint(join(run, 'policy'), { contract: sc.contract, what: SCENARIO });
    expect(policy.arch.hidden).toEqual([32, 32]);
    expect((file.training as { algo: string }).algo).toBe('bc');
    expect((file.scenario as { name: string }).name).toBe('grasp-cube');
    const a = policy.act(new Float32Array(policy.obsSize));
    expect(a.every((v) => Number.isFinite(v) && Math.abs(v) <= 1)).toBe(true);
    policy.dispose();
  });

  it('refuses to overwrite a finished run (exit 2)', async () => {
    const r = await sim2real(['train', SCENARIO, '--algo', 'bc', '--data', demos, '--out', join(dir, 'run')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/expected a new run directory.*--resume/);
  });

  it('resumes a run killed during its final evaluation: no epoch again, every row kept once', async () => {
    // The state such a kill leaves: the last epoch checkpointed and logged, no policy, no final row.
    const run = join(dir, 'run-eval-killed');
    const args = [
      'train',
      SCENARIO,
      '--algo',
      'bc',
      '--data',
      demos,
      '--out',
      run,
      '--epochs',
      '3',
      '--hidden',
      '16,16',
      '--patience',
      '0',
      '--eval-episodes',
      '1',
      '--workers',
      '1',
      '--json',
    ];
    expect((await sim2real(args)).code).toBe(0);
    rmSync(join(run, 'policy'), { recursive: true });
    writeFileSync(
      join(run, 'metrics.jsonl'),
      metricRows(run)
        .filter((r) => r.final !== true)
        .map((r) => `${JSON.stringify(r)}\n`)
        .join(''),
    );
    const again = await sim2real(['train', SCENARIO, '--algo', 'bc', '--out', run, '--resume', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).epochs).toBe(3);
    const rows = metricRows(run);
    expect(rows.filter((r) => r.final !== true).map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(rows.at(-1)).toMatchObject({ final: true, epoch: 3 });
    expect(existsSync(join(run, 'policy', 'policy.json'))).toBe(true);
  });

  it('--randomize runs the DAgger rounds in randomized sim (kept in config.json)', async () => {
    const run = join(dir, 'run-dagger');
    const r = await sim2real([
      'train',
      SCENARIO,
      '--algo',
      'bc',
      '--data',
      demos,
      '--out',
      run,
      '--epochs',
      '3',
      '--hidden',
      '16,16',
      '--dagger-rounds',
      '1',
      '--dagger-episodes',
      '2',
      '--randomize',
      '--eval-episodes',
      '0',
      '--workers',
      '1',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const cfg = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
    expect(cfg.bc.daggerRandomize).toBe(true);
    const { episodes } = await readEpisodes(join(run, 'dagger'));
    expect(episodes).toHaveLength(2);
    // Every relabelled episode ran with sampled physics, not the nominal scales.
    for (const e of episodes)
      expect(Object.values(e.start.physics ?? {}).some((v) => typeof v === 'number' && v !== 1 && v !== 0)).toBe(true);
  });
});
