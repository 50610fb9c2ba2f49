/**
 * `train` and `finetune` skip flagged episodes (served with observations outside the contract's
 * range, or recorded partially) with one line on stderr, and use them with --include-flagged.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EpisodeWriter } from '../../src/episodes/writer.js';
import { totalSize } from '../../src/sim/contract.js';
import { loadScenario } from '../../src/sim/scenario-file.js';
import { sim2real } from './helpers.js';

const SCENARIO = 'scenarios/navigate-obstacles.yaml';
const sc = loadScenario(SCENARIO);
const dir = mkdtempSync(join(tmpdir(), 'sim2real-train-flagged-'));
const data = join(dir, 'served');
const LINE = `${data}: skipped 3 flagged episode(s) of 8 (obs outside the contract's range in 2, partial 1); --include-flagged to use them`;

beforeAll(async () => {
  // Served-like episodes: 5 clean, 2 with observations out of range, 1 partial.
  const w = await EpisodeWriter.open(join(data, 'served.mcap'));
  const obsSize = totalSize(sc.contract.obs);
  for (let i = 0; i < 8; i++) {
    const partial = i === 7 ? { fromStep: 3 } : undefined;
    w.startEpisode(
      {
        scenario: sc.name,
        task: 'real',
        seed: i,
        source: 'real',
        policyId: 'p',
        contract: sc.contract,
        controlHz: 10,
        randomization: { robot_id: 'r' },
        taskState: null,
        partial,
      },
      new Uint8Array(0),
    );
    for (let t = 0; t < 6; t++) {
      const obs = new Float32Array(obsSize).fill(0.1 * ((i + t) % 5));
      w.writeStep({
        obs,
        action: [0.1 * i - 0.3, -0.05 * t],
        appliedAction: [0, 0],
        reward: 0,
        terminated: false,
        truncated: false,
      });
    }
    const out =
      i === 2 || i === 5
        ? { steps: 1, values: 1, first: { step: 0, component: 'lidar', index: 0, value: 9 } }
        : { steps: 0, values: 0 };
    await w.endEpisode({ success: true, obsOutOfRange: out, partial });
  }
  await w.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const trainArgs = (out: string) => [
  'train',
  SCENARIO,
  '--algo',
  'bc',
  '--data',
  data,
  '--out',
  out,
  '--epochs',
  '1',
  '--hidden',
  '8',
  '--eval-episodes',
  '0',
  '--val-fraction',
  '0.2',
  '--json',
];

describe('train / finetune and flagged episodes', () => {
  it('train skips them with one line, --include-flagged uses them; finetune likewise', async () => {
    const run = join(dir, 'bc');
    const r = await sim2real(trainArgs(run));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split('\n').filter((l) => /flagged/.test(l))).toEqual([LINE]);
    const report = JSON.parse(r.stdout);
    expect(report.trainEpisodes + report.valEpisodes).toBe(5);
    const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
    expect(config.dataset.flaggedEpisodes).toEqual({ count: 3, of: 8, obsOutOfRange: 2, partial: 1, skipped: true });
    expect(config.bc.includeFlagged).toBe(false);

    const all = await sim2real([...trainArgs(join(dir, 'bc-all')), '--include-flagged']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stderr).not.toMatch(/flagged/);
    const allReport = JSON.parse(all.stdout);
    expect(allReport.trainEpisodes + allReport.valEpisodes).toBe(8);

    const ft = await sim2real([
      'finetune',
      '--policy',
      run,
      '--data',
      data,
      '--out',
      join(dir, 'ft'),
      '--epochs',
      '1',
      '--json',
    ]);
    expect(ft.code, ft.stderr).toBe(0);
    expect(ft.stderr.split('\n').filter((l) => /flagged/.test(l))).toEqual([LINE]);
    const ftConfig = JSON.parse(readFileSync(join(dir, 'ft', 'config.json'), 'utf8'));
    expect(ftConfig.target.trainEpisodes + ftConfig.target.valEpisodes).toBe(5);
    const ftAll = await sim2real([
      'finetune',
      '--policy',
      run,
      '--data',
      data,
      '--out',
      join(dir, 'ft-all'),
      '--epochs',
      '1',
      '--include-flagged',
      '--json',
    ]);
    expect(ftAll.code, ftAll.stderr).toBe(0);
    const ftAllTarget = JSON.parse(readFileSync(join(dir, 'ft-all', 'config.json'), 'utf8')).target;
    expect(ftAllTarget.trainEpisodes + ftAllTarget.valEpisodes).toBe(8);
  });
});
