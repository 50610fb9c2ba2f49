/** trainPpo from code: a JSON config in, a report and a run directory out, and a resumed run that extends it. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { trainPpo, type TrainPpoConfig } from '../../src/pipelines/train-ppo.js';
import { loadCheckpoint } from '../../src/policy/checkpoints/checkpoint.js';
import { InputError } from '../../src/errors.js';
import { loadScenario } from '../../src/sim/scenario-file.js';
import type { RunHooks } from '../../src/ui/run-hooks.js';

const root = mkdtempSync(join(tmpdir(), 'sim2real-pipeline-ppo-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Records what a run reports through its hooks. */
function recorder() {
  const bars: { label: string; total: number; unit: string; ticked: number }[] = [];
  const notes: string[] = [];
  const hooks: RunHooks = {
    progress: (label, total, unit) => {
      const bar = { label, total, unit, ticked: 0 };
      bars.push(bar);
      return { tick: (n = 1) => void (bar.ticked += n), stop: () => {} };
    },
    note: (line) => void notes.push(line),
  };
  return { bars, notes, hooks };
}

const rowsOf = (out: string) =>
  readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { update: number; envSteps: number });

describe('trainPpo', () => {
  // 4 updates of 2 envs × 32 steps, a checkpoint every 2; the scenario by its built-in name.
  const out = join(root, 'run');
  const config: TrainPpoConfig = {
    scenario: 'navigate-obstacles',
    out,
    envSteps: 256,
    numEnvs: 2,
    workers: 1,
    rolloutSteps: 32,
    epochs: 2,
    minibatches: 2,
    checkpointEvery: 2,
    hidden: [32, 32],
    seed: 3,
    evalEpisodes: 3,
  };

  it('trains into a run directory and reports it', async () => {
    const { bars, notes, hooks } = recorder();
    // Plain data: the config survives a trip through JSON.
    const report = await trainPpo(JSON.parse(JSON.stringify(config)) as TrainPpoConfig, { hooks });
    expect(report).toMatchObject({
      run: out,
      policy: join(out, 'policy'),
      scenario: 'navigate-obstacles',
      updates: 4,
      envSteps: 256,
      episodes: 3,
    });
    expect(report.policyId).toMatch(/^ppo-navigate-obstacles-/);
    expect(report.evaluation?.episodes).toBe(3);
    expect(report.successRate).toBe(report.evaluation?.successRate);
    expect(bars.map(({ label, total, unit }) => ({ label, total, unit }))).toEqual([
      { label: 'ppo navigate-obstacles', total: 256, unit: 'steps' },
      { label: `eval ${report.policyId}`, total: 3, unit: 'ep' },
    ]);
    expect(bars.map((b) => b.ticked)).toEqual([256, 3]);
    expect(notes).toEqual([]);

    const saved = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    const scenarioNames = { scenario: 'navigate-obstacles', scenarioName: 'navigate-obstacles' };
    expect(saved).toMatchObject({ command: 'train', algo: 'ppo', ...scenarioNames, init: null, initPolicyId: null });
    expect(saved.config).toMatchObject({
      envSteps: 256,
      numEnvs: 2,
      hidden: [32, 32],
      evalEpisodes: 3,
      criticWarmup: 0,
    });
    expect(rowsOf(out).map((r) => r.update)).toEqual([1, 2, 3, 4]);
    for (const f of ['success.svg', 'return.svg', 'eval.json', 'checkpoints/latest/ppo-state.json'])
      expect(existsSync(join(out, f)), f).toBe(true);
    const contract = loadScenario('navigate-obstacles').contract;
    const { policy, file } = await loadCheckpoint(report.policy, { contract, what: 'navigate-obstacles' });
    expect(policy.id).toBe(report.policyId);
    expect(file.training).toMatchObject({ algo: 'ppo', envSteps: 256, init: null });
    policy.dispose();
  });

  it('refuses to start a new run over it', async () => {
    await expect(trainPpo(config)).rejects.toThrow(InputError);
  });

  it('resumes it with more env steps, keeping its config.json and metrics', async () => {
    const before = readFileSync(join(out, 'config.json'), 'utf8');
    const { bars, hooks } = recorder();
    const report = await trainPpo({ ...config, envSteps: 384, evalEpisodes: 0 }, { resume: true, hooks });
    expect(report).toMatchObject({ updates: 6, envSteps: 384, evaluation: null, episodes: 0, successRate: null });
    expect(bars.map(({ label, total }) => ({ label, total }))).toEqual([
      { label: 'ppo navigate-obstacles (resumed at update 4)', total: 128 },
    ]);
    expect(readFileSync(join(out, 'config.json'), 'utf8')).toBe(before);
    expect(rowsOf(out).map((r) => r.envSteps)).toEqual([64, 128, 192, 256, 320, 384]);
  });

  it('resuming a run with no checkpoint yet starts it over, and says so', async () => {
    const { notes, hooks } = recorder();
    const fresh = join(root, 'fresh');
    const report = await trainPpo({ ...config, out: fresh, envSteps: 64, evalEpisodes: 0 }, { resume: true, hooks });
    expect(report).toMatchObject({ updates: 1, envSteps: 64 });
    expect(notes).toEqual([`${fresh}: no checkpoint to resume from yet; starting the run from the beginning`]);
  });
});
