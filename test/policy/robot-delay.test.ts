/** Delay compensation through the data path: sim demonstrations carry a prior, robot episodes are compensated with the robot's estimated delay, fine-tuning keeps it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/sim/scenario-file.js';
import { loadReality } from '../../src/sim/reality.js';
import { collect } from '../../src/collect/collect.js';
import { recordRealDemos } from '../../src/collect/real-demos.js';
import { readEpisodes } from '../../src/episodes/reader.js';
import { initBackend } from '../../src/policy/models/backend.js';
import { loadDataset } from '../../src/policy/data/dataset.js';
import { robotCompensation } from '../../src/policy/finetune/robot-delay.js';
import { finetune } from '../../src/policy/finetune/finetune.js';
import { GaussianMlpPolicy } from '../../src/policy/models/gaussian-policy.js';
import { saveCheckpoint } from '../../src/policy/checkpoints/checkpoint.js';
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { initialPolicy } from '../../src/policy/ppo/support.js';
import { DEFAULT_PPO_CONFIG } from '../../src/policy/ppo/ppo.js';
import { sim2real } from '../cli/helpers.js';

const nav = loadScenario('scenarios/navigate-obstacles.yaml');
const dir = mkdtempSync(join(tmpdir(), 'sim2real-robot-delay-'));
const real = join(dir, 'real');
beforeAll(async () => {
  await initBackend();
  // The shipped navigate robot: 4 + 3 steps of delay; the expert with some noise, as a teleoperator drives.
  await recordRealDemos({
    scenario: nav,
    reality: loadReality('scenarios/reality/navigate-obstacles.yaml'),
    episodes: 8,
    out: real,
    seed: 900,
    expertNoise: 0.2,
    sceneEvery: 0,
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('delay compensation in datasets', () => {
  it('sim demonstrations recorded with compensateDelay carry their mean drawn delay as the prior; plain ones none', async () => {
    for (const compensateDelay of [true, false])
      await collect({
        scenario: nav,
        episodes: 6,
        out: join(dir, `sim-${compensateDelay}`),
        workers: 1,
        randomize: true,
        compensateDelay,
        sceneEvery: 0,
      });
    const { episodes } = await readEpisodes(join(dir, 'sim-true'));
    const drawn = episodes.map(
      (e) => (e.start.randomization.action_latency as number) + (e.start.randomization.obs_delay as number),
    );
    const withComp = await loadDataset(join(dir, 'sim-true'), { valFraction: 0 });
    expect(withComp.delayCompensation).toEqual({
      steps: Math.round(drawn.reduce((a, b) => a + b) / drawn.length),
      tau: 0.1,
    });
    expect(withComp.delayCompensation.steps).toBeGreaterThan(0);
    const plain = await loadDataset(join(dir, 'sim-false'), { valFraction: 0 });
    expect(plain.delayCompensation.steps).toBe(0);
    // Same seeds, same physics: the compensated observations differ from the recorded delayed ones.
    expect(withComp.train.obs).not.toEqual(plain.train.obs);
  });

  it("robot episodes: a compensating policy's fine-tuning data is compensated with the robot's delay, estimated from the episodes in use", async () => {
    const prior = { steps: 4, tau: 0.1 };
    const seen: number[] = [];
    const target = await loadDataset(real, {
      valFraction: 0.25,
      maxEpisodes: 6,
      compensate: robotCompensation(prior, 'bc', undefined, (e) => seen.push(e.episodes, e.steps)),
    });
    expect(seen).toEqual([6, 7]);
    expect(target.delayCompensation).toEqual({ steps: 7, tau: 0.1 });
    const raw = await loadDataset(real, { valFraction: 0.25, maxEpisodes: 6 });
    expect(raw.delayCompensation.steps).toBe(0);
    expect(target.train.n).toBe(raw.train.n);
    expect(target.train.obs).not.toEqual(raw.train.obs);
    expect(target.train.act).toEqual(raw.train.act);
    // Adapting only the normaliser keeps the policy's delay; a given delay wins over the estimate.
    expect(robotCompensation(prior, 'normalizer-only')).toEqual(prior);
    expect(robotCompensation(prior, 'bc', 5)).toEqual({ steps: 5, tau: 0.1 });
    expect(robotCompensation({ steps: 0, tau: 0 }, 'bc')).toBeUndefined();

    const policy = new GaussianMlpPolicy('prior', nav.contract, {
      hidden: [16],
      activation: 'tanh',
      critic: false,
      initLogStd: -1,
    });
    policy.delayCompensation = prior;
    try {
      const ft = await finetune({ policy, target, epochs: 2 });
      expect(ft.policy.delayCompensation).toEqual({ steps: 7, tau: 0.1 });
      expect(policy.delayCompensation).toEqual(prior);
      ft.policy.dispose();
      const norm = await finetune({
        policy,
        target: await loadDataset(real, {
          valFraction: 0.25,
          maxEpisodes: 6,
          compensate: robotCompensation(prior, 'normalizer-only'),
        }),
        mode: 'normalizer-only',
      });
      expect(norm.policy.delayCompensation).toEqual(prior);
      norm.policy.dispose();
    } finally {
      policy.dispose();
    }
  });

  it('sim2real finetune: a compensating policy takes on the delay estimated from --data, or the one --loop-delay gives', async () => {
    const policy = new GaussianMlpPolicy('prior-cli', nav.contract, {
      hidden: [16],
      activation: 'tanh',
      critic: false,
      initLogStd: -1,
    });
    policy.delayCompensation = { steps: 4, tau: 0.1 };
    await saveCheckpoint(join(dir, 'pre', 'policy'), policy, {
      scenario: nav as never,
      training: { algo: 'bc', bc: { lr: 1e-3 } },
      metrics: null,
    });
    policy.dispose();
    for (const given of [undefined, 5, 0]) {
      const out = join(dir, `ft-${given}`);
      const r = await sim2real([
        'finetune',
        '--policy',
        join(dir, 'pre'),
        '--data',
        real,
        '--out',
        out,
        '--epochs',
        '2',
        ...(given !== undefined ? ['--loop-delay', String(given)] : []),
      ]);
      expect(r.code, r.stderr).toBe(0);
      const steps = given ?? 7;
      if (given === undefined)
        expect(r.stderr).toContain(
          'robot loop delay estimated from the target episodes: 7 control steps (700 ms); the policy compensates it (it was trained for 4)',
        );
      expect(JSON.parse(readFileSync(join(out, 'policy', 'policy.json'), 'utf8')).delayCompensation).toEqual({
        steps,
        tau: 0.1,
      });
      expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).loopDelay).toEqual(
        steps ? { steps, estimated: given === undefined } : null,
      );
    }
    // A policy trained on observations as measured has nothing to compensate with.
    const plain = new GaussianMlpPolicy('plain-cli', nav.contract, {
      hidden: [16],
      activation: 'tanh',
      critic: false,
      initLogStd: -1,
    });
    await saveCheckpoint(join(dir, 'plain', 'policy'), plain, {
      scenario: nav as never,
      training: { algo: 'bc', bc: { lr: 1e-3 } },
      metrics: null,
    });
    plain.dispose();
    const bad = await sim2real([
      'finetune',
      '--policy',
      join(dir, 'plain'),
      '--data',
      real,
      '--out',
      join(dir, 'ft-plain'),
      '--loop-delay',
      '3',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe(
      'sim2real: error: --loop-delay: expected a policy trained with delay compensation (collect --compensate-delay), got one trained on observations as measured',
    );
  });

  it('refuses to compensate twice, mixed data, PPO on a compensating policy, and compensation for a task that has no prediction', async () => {
    await expect(loadDataset(join(dir, 'sim-true'), { compensate: { steps: 3, tau: 0.1 } })).rejects.toThrow(
      /sim-true.*: episode \d+: its observations are already predicted \(recorded with collect --compensate-delay\); expected episodes as the robot observed them/,
    );
    const mixed = join(dir, 'mixed');
    mkdirSync(mixed);
    for (const d of ['sim-true', 'sim-false'])
      for (const f of readdirSync(join(dir, d))) copyFileSync(join(dir, d, f), join(mixed, `${d}-${f}`));
    await expect(loadDataset(mixed)).rejects.toThrow(
      /expected episodes all recorded with delay compensation \(collect --compensate-delay\) or all without, got a mix/,
    );
    const comp = new GaussianMlpPolicy('ppo-init', nav.contract, {
      hidden: [16],
      activation: 'tanh',
      critic: false,
      initLogStd: -1,
    });
    comp.delayCompensation = { steps: 4, tau: 0.1 };
    try {
      expect(() => initialPolicy(nav, DEFAULT_PPO_CONFIG, comp, 'ppo', -0.5)).toThrow(
        'init policy ppo-init: it compensates a 4-step control-loop delay (trained on predicted observations); PPO trains on observations as measured and does not support that yet',
      );
    } finally {
      comp.dispose();
    }
    const grasp = loadScenario('scenarios/grasp-cube.yaml');
    await expect(
      collect({ scenario: grasp, episodes: 1, out: join(dir, 'grasp'), compensateDelay: true }),
    ).rejects.toThrow(
      /^--compensate-delay: scenario grasp-cube: navigate prediction: the contract has no obs component "lidar"/,
    );
  });
});
