/**
 * trainBc from code, the way a library user runs it: a run directory with its config, metrics,
 * checkpoints and evaluated policy; an interrupted run (here: a progress hook throws mid-training)
 * continues with `resume` and logs every epoch once; a finished or foreign run is refused.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../../src/collect/collect.js';
import { loadScenario } from '../../src/sim/scenario-file.js';
import { loadCheckpoint } from '../../src/policy/checkpoints/checkpoint.js';
import { bcRunDefaults, trainBc, type BcRunConfig } from '../../src/pipelines/train-bc.js';

const dir = mkdtempSync(join(tmpdir(), 'sim2real-pipeline-bc-'));
const demos = join(dir, 'demos');

beforeAll(async () => {
  await collect({ scenario: loadScenario('grasp-cube'), episodes: 8, out: demos, workers: 2, sceneEvery: 50 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bc = (): BcRunConfig => ({
  ...bcRunDefaults(demos),
  hidden: [32, 32],
  epochs: 8,
  batchSize: 16,
  patience: 0,
  evalEpisodes: 2,
  workers: 1,
});

const epochsLogged = (run: string) =>
  readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { epoch: number; final?: boolean })
    .filter((m) => !m.final)
    .map((m) => m.epoch);

describe('trainBc', () => {
  it('trains from a built-in scenario name into a run directory and reports what the CLI prints', async () => {
    const out = join(dir, 'plain');
    const notes: string[] = [];
    const report = await trainBc({ scenario: 'grasp-cube', out, bc: bc() }, { hooks: { note: (l) => notes.push(l) } });
    expect(report.algo).toBe('bc');
    expect(report.scenario).toBe('grasp-cube');
    expect(report.epochs).toBe(8);
    expect(report.evaluation?.episodes).toBe(2);
    expect(report.trainEpisodes + report.valEpisodes).toBe(8);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { bc: BcRunConfig; scenario: string };
    expect(config.bc).toEqual(bc());
    expect(config.scenario).toBe('grasp-cube');
    expect(epochsLogged(out)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const saved = await loadCheckpoint(report.policy);
    expect(saved.policy.id).toBe(report.policyId);
    saved.policy.dispose();
    await expect(trainBc({ scenario: 'grasp-cube', out, bc: bc() })).rejects.toThrow(
      /expected a new run directory, got one with a run in it/,
    );
    await expect(trainBc({ scenario: 'grasp-cube', out }, { resume: true })).rejects.toThrow(
      /this run has already finished/,
    );
  });

  it('resumes an interrupted run with the settings it saved', async () => {
    const out = join(dir, 'resumed');
    let ticks = 0;
    const stopAt3 = {
      progress: () => ({
        tick: () => {
          if (++ticks === 3) throw new Error('interrupted');
        },
        stop: () => {},
      }),
    };
    await expect(trainBc({ scenario: 'grasp-cube', out, bc: bc() }, { hooks: stopAt3 })).rejects.toThrow('interrupted');
    expect(existsSync(join(out, 'policy', 'policy.json'))).toBe(false);
    expect(existsSync(join(out, 'checkpoints', 'latest', 'policy.json'))).toBe(true);
    // No bc settings given: the run's own are used.
    const report = await trainBc({ scenario: 'grasp-cube', out }, { resume: true });
    expect(report.epochs).toBe(8);
    expect(epochsLogged(out)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(existsSync(join(out, 'policy', 'policy.json'))).toBe(true);
  });

  it('says what is missing when there is neither a saved run nor settings', async () => {
    await expect(trainBc({ scenario: 'grasp-cube', out: join(dir, 'none') })).rejects.toThrow(
      /--data: expected a directory of demonstration episodes/,
    );
  });
});
