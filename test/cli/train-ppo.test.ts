/** `train --algo ppo` (trainPpoCommand): a run killed with SIGKILL after a checkpoint resumes and finishes with a loadable policy. */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { trainPpoCommand, type TrainPpoFlags } from '../../src/cli/train-ppo.js';
import { loadCheckpoint } from '../../src/policy/checkpoints/checkpoint.js';
import { InputError } from '../../src/errors.js';
import { loadScenario } from '../../src/sim/scenario-file.js';
import { KILL_WHEN } from './helpers.js';

const SCENARIO = 'scenarios/navigate-obstacles.yaml';
const command = fileURLToPath(new URL('../../src/cli/train-ppo.ts', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'sim2real-train-ppo-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// 20 updates of 4 envs × 32 steps; a checkpoint every 2 updates.
const FLAGS: TrainPpoFlags = {
  envSteps: '2560',
  numEnvs: '4',
  workers: '1',
  rolloutSteps: '32',
  epochs: '2',
  minibatches: '2',
  checkpointEvery: '2',
  hidden: '32,32',
  seed: '3',
  evalEpisodes: '3',
  json: true,
};

const readState = (out: string) =>
  JSON.parse(readFileSync(join(out, 'checkpoints', 'latest', 'ppo-state.json'), 'utf8')) as {
    update: number;
    envSteps: number;
  };

describe('trainPpoCommand', () => {
  it('resumes a SIGKILLed run from its last checkpoint and finishes with a loadable policy', async () => {
    const out = join(root, 'killed');
    const code = `const { trainPpoCommand } = await import(${JSON.stringify(command)}); await trainPpoCommand(${JSON.stringify(SCENARIO)}, ${JSON.stringify({ ...FLAGS, out })});`;
    // Killed (SIGKILL, by itself: see kill-when.mjs) as soon as the first checkpoint is on disk.
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--import', KILL_WHEN, '--input-type=module', '-e', code],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, SIM2REAL_TEST_KILL_WHEN: join(out, 'checkpoints', 'latest', 'ppo-state.json') },
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.on('exit', (c, signal) => resolve(signal ?? c)),
    );
    expect(await exited, stderr).toBe('SIGKILL');
    const killedAt = readState(out).update;
    expect(killedAt).toBeGreaterThanOrEqual(2);
    expect(killedAt).toBeLessThan(20);
    const before = readFileSync(join(out, 'config.json'), 'utf8');

    const report = await trainPpoCommand(SCENARIO, { out, resume: true, json: true, evalEpisodes: '3' });
    expect(report).toMatchObject({ updates: 20, envSteps: 2560, episodes: 3 });
    expect(report.successRate).toBeGreaterThanOrEqual(0);
    expect(readState(out)).toMatchObject({ update: 20, envSteps: 2560 });
    expect(readFileSync(join(out, 'config.json'), 'utf8')).toBe(before);
    // Every update logged once: rows the killed run wrote after its checkpoint were dropped and redone.
    const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { update: number; envSteps: number });
    expect(rows.map((r) => r.update)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(rows.map((r) => r.envSteps)).toEqual(Array.from({ length: 20 }, (_, i) => 128 * (i + 1)));
    for (const f of ['success.svg', 'return.svg', 'eval.json']) expect(existsSync(join(out, f)), f).toBe(true);

    const { policy, file } = await loadCheckpoint(join(out, 'policy'), {
      contract: loadScenario(SCENARIO).contract,
      what: 'navigate-obstacles',
    });
    expect(policy.critic).not.toBeNull();
    expect(policy.arch.hidden).toEqual([32, 32]);
    expect(file.training).toMatchObject({ algo: 'ppo', envSteps: 2560, numEnvs: 4 });
    expect(policy.act(new Float32Array(policy.obsSize)).every((a) => Math.abs(a) <= 1)).toBe(true);
    policy.dispose();
  });

  it('refuses to start over an existing run and bad flags (exit code 2 errors)', async () => {
    await expect(trainPpoCommand(SCENARIO, { ...FLAGS, out: join(root, 'killed') })).rejects.toThrow(
      /expected a new run directory.*--resume/,
    );
    await expect(trainPpoCommand(SCENARIO, { out: join(root, 'bad'), numEnvs: 'many' })).rejects.toThrow(InputError);
    await expect(trainPpoCommand(SCENARIO, { out: join(root, 'bad'), hidden: '64,x' })).rejects.toThrow(
      /--hidden: expected/,
    );
    expect(existsSync(join(root, 'bad'))).toBe(false);
  });

  it('--resume of a run killed before its first checkpoint starts it over', async () => {
    const out = join(root, 'early');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'metrics.jsonl'), '{"update":1,"envSteps":32}\n{"update":2,"env');
    const report = await trainPpoCommand(SCENARIO, {
      ...FLAGS,
      envSteps: '128',
      numEnvs: '2',
      evalEpisodes: '0',
      out,
      resume: true,
    });
    expect(report).toMatchObject({ updates: 2, envSteps: 128, evaluation: null, episodes: 0 });
    const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { update: number; time?: string });
    expect(rows.map((r) => r.update)).toEqual([1, 2]);
    expect(rows.every((r) => typeof r.time === 'string')).toBe(true);
  });
});
