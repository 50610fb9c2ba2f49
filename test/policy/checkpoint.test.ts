/** Checkpoints: round trip, atomic replacement (a dead or failed save never costs the good one), contract refusal. */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/policy/models/backend.js';
import { loadCheckpoint, saveCheckpoint, type LoadedCheckpoint } from '../../src/policy/checkpoints/checkpoint.js';
import { GaussianMlpPolicy } from '../../src/policy/models/gaussian-policy.js';
import type { Contract } from '../../src/sim/contract.js';
import type { Json } from '../../src/sim/env.js';
import { loadScenario } from '../../src/sim/scenario-file.js';
import { Rng } from '../../src/sim/rng.js';
import { InputError } from '../../src/errors.js';

const root = mkdtempSync(join(tmpdir(), 'sim2real-ckpt-'));
const navigate = loadScenario('scenarios/navigate-obstacles.yaml');
const grasp = loadScenario('scenarios/grasp-cube.yaml');
const ARCH = { hidden: [32, 32], activation: 'tanh' as const, critic: true, initLogStd: -0.7 };
const opened: GaussianMlpPolicy[] = [];

beforeAll(async () => {
  await initBackend();
});
afterAll(() => {
  for (const p of opened) p.dispose();
  rmSync(root, { recursive: true, force: true });
});

function observations(contract: Contract, n: number, seed: number): Float32Array {
  const size = contract.obs.reduce((k, c) => k + c.size, 0);
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * size }, () => rng.normal(0, 2));
}

/** A policy with non-default weights and normaliser, so a round trip has something to lose. */
function trainedLooking(id: string, contract: Contract, seed: number): GaussianMlpPolicy {
  const p = new GaussianMlpPolicy(id, contract, ARCH);
  opened.push(p);
  const rng = new Rng(seed);
  for (const layer of [...p.actor.layers, ...p.critic!.layers]) {
    tf.tidy(() =>
      layer.setWeights(
        layer.getWeights().map((w) =>
          tf.tensor(
            Float32Array.from(w.dataSync(), (v) => v + rng.normal(0, 0.2)),
            w.shape,
          ),
        ),
      ),
    );
  }
  p.syncFastPath();
  p.normalizer.update(observations(contract, 40, seed + 1), 40);
  return p;
}

function load(dir: string, expect?: { contract: Contract; what: string }): Promise<LoadedCheckpoint> {
  return loadCheckpoint(dir, expect).then((l) => {
    opened.push(l.policy);
    return l;
  });
}

/** Same deterministic actions, values and normaliser: the checkpoint restored the policy. */
function expectSamePolicy(a: GaussianMlpPolicy, b: GaussianMlpPolicy): void {
  expect(b.id).toBe(a.id);
  expect(b.arch).toEqual(a.arch);
  expect(b.normalizer.toJSON()).toEqual(a.normalizer.toJSON());
  expect(b.logStdValues).toEqual(a.logStdValues);
  const n = 8;
  const obs = observations(a.contract, n, 77);
  expect(Array.from(b.actBatch(obs, n))).toEqual(Array.from(a.actBatch(obs, n)));
  const one = obs.subarray(0, a.obsSize);
  expect(b.value(one)).toBe(a.value(one));
  expect(Array.from(b.act(one, { deterministic: false, rng: new Rng(4) }))).toEqual(
    Array.from(a.act(one, { deterministic: false, rng: new Rng(4) })),
  );
}

const META = { scenario: navigate as unknown as Json, training: { algorithm: 'test' }, metrics: { successRate: 0.5 } };

describe('checkpoints', () => {
  it('round-trips weights, normaliser, log-std, contract and metadata', async () => {
    const p = trainedLooking('nav-a', navigate.contract, 1);
    const dir = join(root, 'roundtrip', 'ckpt');
    await saveCheckpoint(dir, p, META);
    expect(readdirSync(dir).sort()).toEqual(['critic', 'model.json', 'policy.json', 'weights.bin']);
    expect(readdirSync(join(root, 'roundtrip'))).toEqual(['ckpt']); // no temporary siblings left
    const { policy, file } = await load(dir, { contract: navigate.contract, what: 'navigate-obstacles' });
    expectSamePolicy(p, policy);
    expect(file.contract).toEqual(navigate.contract);
    expect(file.training).toEqual({ algorithm: 'test' });
    expect(file.metrics).toEqual({ successRate: 0.5 });
    expect(file.codeVersion).toMatch(/^0\.1\.0\+/);
    // A second checkpoint of the same network names loads side by side with the first.
    const again = await load(dir);
    expectSamePolicy(p, again.policy);
  });

  it('keeps the delay a policy compensates; an older checkpoint without one compensates none; a bad one is refused by name', async () => {
    const p = trainedLooking('nav-delay', navigate.contract, 3);
    p.delayCompensation = { steps: 6, tau: 0.1 };
    const dir = join(root, 'delay', 'ckpt');
    await saveCheckpoint(dir, p, META);
    expect((await load(dir)).policy.delayCompensation).toEqual({ steps: 6, tau: 0.1 });
    const path = join(dir, 'policy.json');
    const file = JSON.parse(readFileSync(path, 'utf8'));
    delete file.delayCompensation;
    writeFileSync(path, JSON.stringify(file));
    expect((await load(dir)).policy.delayCompensation).toEqual({ steps: 0, tau: 0 });
    writeFileSync(path, JSON.stringify({ ...file, delayCompensation: { steps: -2, tau: 0.1 } }));
    await expect(loadCheckpoint(dir)).rejects.toThrow(InputError);
    await expect(loadCheckpoint(dir)).rejects.toThrow(
      `${path}:delayCompensation: steps must be a whole number in 0..64, got -2`,
    );
    // A task without a prediction cannot compensate: refused when the checkpoint is read, not on the robot.
    const g = trainedLooking('grasp-delay', grasp.contract, 4);
    g.delayCompensation = { steps: 2, tau: 0.1 };
    await saveCheckpoint(join(root, 'delay-grasp'), g, { ...META, scenario: grasp as unknown as Json });
    await expect(loadCheckpoint(join(root, 'delay-grasp'))).rejects.toThrow(
      /delay-grasp\/policy\.json:delayCompensation: navigate prediction: the contract has no obs component "lidar"/,
    );
  });

  it('replaces an older checkpoint in place', async () => {
    const dir = join(root, 'replace', 'ckpt');
    const a = trainedLooking('nav-old', navigate.contract, 2);
    const b = trainedLooking('nav-new', navigate.contract, 3);
    await saveCheckpoint(dir, a, META);
    await saveCheckpoint(dir, b, META);
    expectSamePolicy(b, (await load(dir)).policy);
    expect(readdirSync(join(root, 'replace'))).toEqual(['ckpt']);
  });

  describe('atomic: an interrupted save never replaces a good checkpoint', () => {
    const parent = join(root, 'atomic');
    const dir = join(parent, 'ckpt');
    let good: GaussianMlpPolicy;
    beforeAll(async () => {
      good = trainedLooking('nav-good', navigate.contract, 5);
      await saveCheckpoint(dir, good, META);
    });

    it('ignores a half-written temp dir left by a save that died (and the next save clears it)', async () => {
      // What a save killed while writing leaves: the temp sibling with part of a newer checkpoint.
      const tmp = join(parent, '.ckpt.tmp-999999');
      mkdirSync(tmp);
      writeFileSync(join(tmp, 'model.json'), '{"format": "layers-mo');
      // Even a complete-looking one (policy.json present) is not the checkpoint until renamed in.
      const tmp2 = join(parent, '.ckpt.tmp-999998');
      cpSync(dir, tmp2, { recursive: true });
      writeFileSync(
        join(tmp2, 'policy.json'),
        readFileSync(join(dir, 'policy.json'), 'utf8').replace('"nav-good"', '"nav-impostor"'),
      );
      expectSamePolicy(good, (await load(dir)).policy);

      const next = trainedLooking('nav-next', navigate.contract, 6);
      await saveCheckpoint(dir, next, META);
      expectSamePolicy(next, (await load(dir)).policy);
      expect(readdirSync(parent)).toEqual(['ckpt']);
      good = next;
    });

    it('keeps the old checkpoint when a save fails half-way, and leaves no temp dir', async () => {
      const next = trainedLooking('nav-broken', navigate.contract, 7);
      // JSON.stringify throws on a BigInt: the models are written, policy.json is not.
      const broken = { ...META, metrics: { loss: 1n } as unknown as Json };
      await expect(saveCheckpoint(dir, next, broken)).rejects.toThrow(/BigInt/);
      expect(readdirSync(parent)).toEqual(['ckpt']);
      expectSamePolicy(good, (await load(dir)).policy);
    });

    it('reads the old checkpoint when a save died between moving it aside and renaming the new one in', async () => {
      renameSync(dir, join(parent, '.ckpt.old-999997'));
      expect(existsSync(dir)).toBe(false);
      expectSamePolicy(good, (await load(dir)).policy);
      // The next save puts a checkpoint back and clears what the dead one left.
      const next = trainedLooking('nav-after-crash', navigate.contract, 8);
      await saveCheckpoint(dir, next, META);
      expect(readdirSync(parent)).toEqual(['ckpt']);
      expectSamePolicy(next, (await load(dir)).policy);
    });
  });

  describe('contract refusal names the first differing component', () => {
    const dir = join(root, 'contract', 'nav');
    beforeAll(async () => {
      await saveCheckpoint(dir, trainedLooking('nav-c', navigate.contract, 9), META);
    });

    it('another scenario', async () => {
      const err = await loadCheckpoint(dir, { contract: grasp.contract, what: 'scenario grasp-cube' }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toContain('does not match scenario grasp-cube');
      expect((err as Error).message).toContain('obs[0]: expected component "joint_pos", got "lidar"');
    });

    it('a changed unit, size, range or extra component further down', async () => {
      const c = structuredClone(navigate.contract);
      c.obs[3].unit = 'km/h';
      await expect(loadCheckpoint(dir, { contract: c, what: 'the robot' })).rejects.toThrow(
        /obs\.base_lin_vel: expected unit "km\/h", got "m\/s"/,
      );
      const r = structuredClone(navigate.contract);
      r.action[1].high = 3;
      await expect(loadCheckpoint(dir, { contract: r, what: 'the robot' })).rejects.toThrow(
        /action\.ang_vel: expected range \[-2, 3\], got \[-2, 2\]/,
      );
      const s = structuredClone(navigate.contract);
      s.obs[0].size = 16;
      await expect(loadCheckpoint(dir, { contract: s, what: 'the robot' })).rejects.toThrow(
        /obs\.lidar: expected size 16, got 24/,
      );
      const e = structuredClone(navigate.contract);
      e.action.push({ name: 'brake', size: 1, unit: '1', low: 0, high: 1 });
      await expect(loadCheckpoint(dir, { contract: e, what: 'the robot' })).rejects.toThrow(
        /action\[2\]: missing component brake/,
      );
    });

    it('no checkpoint at all is bad input too', async () => {
      await expect(loadCheckpoint(join(root, 'nothing-here'))).rejects.toThrow(
        /expected a policy checkpoint directory \(with policy\.json\), got nothing/,
      );
    });
  });
});
