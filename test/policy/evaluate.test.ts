/** evaluate(): deterministic, seeded episodes through rollout(); the same report on 1 or 2 workers; recording; the eval CLI. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/sim/scenario-file.js';
import { initBackend } from '../../src/policy/models/backend.js';
import { GaussianMlpPolicy } from '../../src/policy/models/gaussian-policy.js';
import { saveCheckpoint } from '../../src/policy/checkpoints/checkpoint.js';
import { evaluate } from '../../src/policy/evaluate.js';
import { readEpisodes } from '../../src/episodes/reader.js';
import { sim2real } from '../cli/helpers.js';

import { clonePolicy } from '../../src/policy/finetune/finetune.js';
import { DelayCompensator } from '../../src/sim/delay-compensator.js';
const dir = mkdtempSync(join(tmpdir(), 'sim2real-eval-'));
const nav = loadScenario('scenarios/navigate-obstacles.yaml');
const grasp = loadScenario('scenarios/grasp-cube.yaml');
let policy: GaussianMlpPolicy;

beforeAll(async () => {
  await initBackend();
  // An untrained policy with a forward bias: it drives off and ends its episodes quickly (collision or time-out).
  policy = new GaussianMlpPolicy('eval-test', nav.contract, {
    hidden: [16],
    activation: 'tanh',
    critic: false,
    initLogStd: -1,
  });
  const [k, b] = policy.actor.layers[1].getWeights();
  const bias = b.dataSync().slice();
  bias[0] = 1.5;
  policy.actor.layers[1].setWeights([k, (await import('@tensorflow/tfjs')).tensor1d(bias)]);
  policy.syncFastPath();
  await saveCheckpoint(join(dir, 'run', 'policy'), policy, {
    scenario: nav as never,
    training: { algo: 'test' },
    metrics: null,
  });
  const graspPolicy = new GaussianMlpPolicy('grasp-test', grasp.contract, {
    hidden: [8],
    activation: 'tanh',
    critic: false,
    initLogStd: -1,
  });
  await saveCheckpoint(join(dir, 'grasp-policy'), graspPolicy, {
    scenario: grasp as never,
    training: { algo: 'test' },
    metrics: null,
  });
  graspPolicy.dispose();
});
afterAll(() => {
  policy.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('evaluate', () => {
  it('gives the same report on one thread and on two workers, and records the episodes', async () => {
    const opts = { episodes: 4, seed: 40, maxSteps: 60 };
    const one = await evaluate(policy, nav, opts);
    const two = await evaluate(policy, nav, { ...opts, workers: 2, record: join(dir, 'rec') });
    for (const k of [
      'episodes',
      'successes',
      'successRate',
      'successCi95',
      'meanReturn',
      'meanLength',
      'failedSeeds',
      'timeouts',
    ] as const)
      expect(two[k], k).toEqual(one[k]);
    expect(one.episodes).toBe(4);
    expect(one.successCi95[0]).toBeLessThanOrEqual(one.successRate);
    expect(one.successCi95[1]).toBeGreaterThanOrEqual(one.successRate);
    expect(one.failedSeeds.every((s) => s >= 40 && s < 44)).toBe(true);

    const { episodes } = await readEpisodes(join(dir, 'rec'));
    expect(episodes).toHaveLength(4);
    expect(episodes.every((e) => e.start.policyId === 'eval-test' && e.end !== undefined)).toBe(true);
    expect(episodes.map((e) => e.start.seed).sort()).toEqual([40, 41, 42, 43]);
    expect(episodes.reduce((s, e) => s + e.end!.length, 0) / 4).toBeCloseTo(one.meanLength, 10);
    // Deterministic actions: what was sent is the policy's mean action for the logged observation.
    const step = episodes[0].steps[1];
    expect(step.action).toEqual(policy.act(step.obs));
  });
});

describe('evaluate a delay-compensating policy', () => {
  it('acts on the compensated observation on one thread and on two workers alike; episodes record what the robot observed', async () => {
    const comp = clonePolicy(policy, 'eval-test-delay');
    comp.delayCompensation = { steps: 3, tau: 0.1 };
    try {
      const opts = { episodes: 4, seed: 40, maxSteps: 60 };
      const one = await evaluate(comp, nav, opts);
      const two = await evaluate(comp, nav, { ...opts, workers: 2, record: join(dir, 'rec-delay') });
      for (const k of ['successes', 'meanReturn', 'meanLength', 'failedSeeds'] as const)
        expect(two[k], k).toEqual(one[k]);
      const { episodes } = await readEpisodes(join(dir, 'rec-delay'));
      const e = episodes.find((x) => x.start.seed === 40)!;
      // Replay the episode through a compensator: every action is the policy's on the compensated observation.
      const c = new DelayCompensator(nav.contract, nav.control.rate_hz, nav.safe_action, comp.delayCompensation);
      let differs = 0;
      for (const s of e.steps) {
        const seen = c.observe(s.obs);
        expect(s.action).toEqual(comp.act(seen));
        if (!comp.act(s.obs).every((v, i) => v === s.action[i])) differs++;
        c.commanded(s.action);
      }
      expect(differs).toBeGreaterThan(e.steps.length / 2);
    } finally {
      comp.dispose();
    }
  });
});

describe('sim2real eval', () => {
  it('prints the JSON report with the standard keys', async () => {
    const r = await sim2real([
      'eval',
      '--policy',
      join(dir, 'run'),
      '--scenario',
      'scenarios/navigate-obstacles.yaml',
      '--episodes',
      '3',
      '--seed',
      '40',
      '--workers',
      '1',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout);
    for (const k of [
      'episodes',
      'successRate',
      'successCi95',
      'meanReturn',
      'meanLength',
      'policyId',
      'seed',
      'failedSeeds',
    ])
      expect(rep, k).toHaveProperty(k);
    expect(rep.episodes).toBe(3);
    expect(rep.successCi95).toHaveLength(2);
    expect(rep.policy).toBe(join(dir, 'run', 'policy'));
  });

  it('refuses a policy whose contract does not match the scenario, naming the component (exit 2)', async () => {
    const r = await sim2real([
      'eval',
      '--policy',
      join(dir, 'grasp-policy'),
      '--scenario',
      'scenarios/navigate-obstacles.yaml',
      '--episodes',
      '2',
      '--record',
      join(dir, 'rec2'),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /contract does not match scenarios\/navigate-obstacles\.yaml.*obs\[0\]: expected component "lidar", got "joint_pos"/,
    );
    expect(readdirSync(dir)).not.toContain('rec2');
  });
});
