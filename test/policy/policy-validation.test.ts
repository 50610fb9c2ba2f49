/**
 * A policy is validated wherever it enters: each corruption of a real checkpoint (policy.json,
 * model.json, weights.bin) is refused by loadCheckpoint with one InputError line naming the file and
 * field; the same refusal comes back from a server a corrupt checkpoint is deployed to, which keeps
 * serving its policy.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, type LoadedCheckpoint } from '../../src/policy/checkpoints/checkpoint.js';
import { Normalizer } from '../../src/policy/models/normalizer.js';
import { InputError } from '../../src/errors.js';
import { deployTo } from '../../src/bridge/deploy.js';
import { checkpointFiles } from '../../src/bridge/checkpoint-files.js';
import { checkpointLoader } from '../../src/bridge/served-policy.js';
import { PolicyServer } from '../../src/bridge/server.js';
import { RobotClient } from '../../src/bridge/robot-client.js';
import type { Contract } from '../../src/sim/contract.js';
import { PATIENT, freePort, navScenario, tinyCheckpoint } from '../bridge/fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'sim2real-policy-validation-'));
const good = join(root, 'good');
/** Saved for a robot with a third action ("brake"): the actor has 3 outputs. */
const threeActions = join(root, 'three-actions');
/** Saved for a robot with a 30th observation: the actor takes 30 inputs. */
const thirtyObs = join(root, 'thirty-obs');
const withExtra = (side: 'obs' | 'action', name: string): Contract => {
  const c = structuredClone(navScenario.contract);
  c[side].push({ name, size: 1, unit: '1', low: 0, high: 1 });
  return c;
};

beforeAll(async () => {
  (await tinyCheckpoint(good, 'good')).dispose();
  (
    await tinyCheckpoint(threeActions, 'three', 0, { ...navScenario, contract: withExtra('action', 'brake') })
  ).dispose();
  (await tinyCheckpoint(thirtyObs, 'thirty', 0, { ...navScenario, contract: withExtra('obs', 'battery') })).dispose();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

type PolicyJson = Record<string, unknown> & {
  normalizer: { mean: number[]; var: number[]; count: number; clip: number };
  logStd: number[];
  contract: Contract;
  architecture: { hidden: number[] };
};

let copies = 0;
/** A copy of checkpoint `from` with its policy.json edited (JSON.stringify writes NaN as null, as a save would). */
function corrupt(edit: (f: PolicyJson) => void, from = good): string {
  const dir = join(root, `bad-${++copies}`);
  cpSync(from, dir, { recursive: true });
  const path = join(dir, 'policy.json');
  const f = JSON.parse(readFileSync(path, 'utf8')) as PolicyJson;
  edit(f);
  writeFileSync(path, JSON.stringify(f, null, 1));
  return dir;
}

function copy(from = good): string {
  return corrupt(() => {}, from);
}

/** The InputError message loadCheckpoint refuses `dir` with (one line). */
async function refusal(dir: string): Promise<string> {
  let loaded: LoadedCheckpoint;
  try {
    loaded = await loadCheckpoint(dir);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    const m = (e as Error).message;
    expect(m.split('\n')).toHaveLength(1);
    return m;
  }
  loaded.policy.dispose();
  throw new Error(`${dir} loaded`);
}

describe('policy.json', () => {
  it('a normaliser mean of the wrong length', async () => {
    const dir = corrupt((f) => f.normalizer.mean.pop());
    expect(await refusal(dir)).toBe(
      `${dir}/policy.json:normalizer.mean: expected 29 finite numbers (the contract's obs size), got 28`,
    );
  });

  it('a normaliser variance of the wrong length', async () => {
    const dir = corrupt((f) => f.normalizer.var.push(1));
    expect(await refusal(dir)).toBe(
      `${dir}/policy.json:normalizer.var: expected 29 finite numbers ≥ 0 (the contract's obs size), got 30`,
    );
  });

  it('a negative variance', async () => {
    const dir = corrupt((f) => (f.normalizer.var[3] = -0.5));
    expect(await refusal(dir)).toBe(`${dir}/policy.json:normalizer.var.3: expected a finite number ≥ 0, got -0.5`);
  });

  it('a NaN variance (saved as null)', async () => {
    const dir = corrupt((f) => (f.normalizer.var[5] = NaN));
    expect(await refusal(dir)).toBe(`${dir}/policy.json:normalizer.var.5: expected a finite number ≥ 0, got null`);
  });

  it('a non-finite mean (1e999 parses as Infinity)', async () => {
    const dir = copy();
    const path = join(dir, 'policy.json');
    writeFileSync(path, readFileSync(path, 'utf8').replace(/"mean": \[\n\s*[-\d.e]+/, '"mean": [1e999'));
    expect(await refusal(dir)).toBe(`${dir}/policy.json:normalizer.mean.0: expected a finite number, got Infinity`);
  });

  it('a negative count, a zero clip', async () => {
    const a = corrupt((f) => (f.normalizer.count = -1));
    expect(await refusal(a)).toBe(`${a}/policy.json:normalizer.count: expected a finite number ≥ 0, got -1`);
    const b = corrupt((f) => (f.normalizer.clip = 0));
    expect(await refusal(b)).toBe(`${b}/policy.json:normalizer.clip: expected a finite number > 0, got 0`);
  });

  it('no contract', async () => {
    const dir = corrupt((f) => delete (f as Record<string, unknown>).contract);
    expect(await refusal(dir)).toBe(`${dir}/policy.json:contract: expected object, got nothing`);
  });

  it('no normaliser', async () => {
    const dir = corrupt((f) => delete (f as Record<string, unknown>).normalizer);
    expect(await refusal(dir)).toBe(`${dir}/policy.json:normalizer: expected { mean, var, count, clip }, got nothing`);
  });

  it('a log-std of the wrong length, or not finite', async () => {
    const a = corrupt((f) => f.logStd.push(-1));
    expect(await refusal(a)).toBe(
      `${a}/policy.json:logStd: expected 2 finite numbers (the contract's action size), got 3`,
    );
    const b = corrupt((f) => (f.logStd[1] = NaN));
    expect(await refusal(b)).toBe(`${b}/policy.json:logStd.1: expected a finite number, got null`);
  });

  it('a malformed contract: a component without a unit, bounds of the wrong length, low above high, a repeated name', async () => {
    const a = corrupt((f) => delete (f.contract.obs[1] as Partial<Contract['obs'][0]>).unit);
    expect(await refusal(a)).toBe(`${a}/policy.json:contract.obs.1.unit: expected string, got nothing`);
    const b = corrupt((f) => (f.contract.obs[0].low = new Array(23).fill(0)));
    expect(await refusal(b)).toBe(
      `${b}/policy.json:contract.obs.0.low: expected 24 values (the component's size), got 23`,
    );
    const c = corrupt((f) => (f.contract.action[1].high = -3));
    expect(await refusal(c)).toBe(`${c}/policy.json:contract.action.1.high: expected a value ≥ low (-2), got -3`);
    const d = corrupt((f) => (f.contract.action[1].name = 'lin_vel'));
    expect(await refusal(d)).toBe(
      `${d}/policy.json:contract.action.1.name: expected a name not used earlier in contract.action, got "lin_vel"`,
    );
  });

  it('an architecture that is not one', async () => {
    const a = corrupt((f) => (f.architecture.hidden = [0]));
    expect(await refusal(a)).toBe(`${a}/policy.json:architecture.hidden.0: expected >= 1, got 0`);
    const b = corrupt((f) => ((f.architecture as Record<string, unknown>).activation = 'sigmoid'));
    expect(await refusal(b)).toBe(
      `${b}/policy.json:architecture.activation: expected one of "tanh" | "relu", got "sigmoid"`,
    );
  });

  it('an architecture that differs from the saved actor', async () => {
    const dir = corrupt((f) => (f.architecture.hidden = [32]));
    expect(await refusal(dir)).toBe(
      `${dir}/policy.json:architecture.hidden: expected [16] (the hidden layers in ${dir}/model.json), got [32]`,
    );
  });
});

describe('the actor against the contract', () => {
  it("an actor whose output size is not the contract's action size (policy.json's contract edited)", async () => {
    const dir = corrupt((f) => {
      f.contract = navScenario.contract;
      f.logStd = f.logStd.slice(0, 2);
    }, threeActions);
    expect(await refusal(dir)).toBe(
      `${dir}/model.json:actor_out.units: expected 2 (the contract's action size in ${dir}/policy.json), got 3`,
    );
  });

  it("an actor whose input size is not the contract's obs size", async () => {
    const dir = corrupt((f) => {
      f.contract = navScenario.contract;
      f.normalizer.mean = f.normalizer.mean.slice(0, 29);
      f.normalizer.var = f.normalizer.var.slice(0, 29);
    }, thirtyObs);
    expect(await refusal(dir)).toBe(
      `${dir}/model.json:actor_h0.batch_input_shape: expected [null, 29] (the contract's obs size in ${dir}/policy.json), got [null, 30]`,
    );
  });
});

describe('weights.bin', () => {
  it('a NaN weight', async () => {
    const dir = copy();
    const bin = readFileSync(join(dir, 'weights.bin'));
    bin.writeFloatLE(NaN, 4 * 5);
    writeFileSync(join(dir, 'weights.bin'), bin);
    expect(await refusal(dir)).toBe(`${dir}/weights.bin:actor_h0/kernel.5: expected a finite number, got NaN`);
  });

  it('an infinite bias in the last layer', async () => {
    const dir = copy();
    const bin = readFileSync(join(dir, 'weights.bin'));
    bin.writeFloatLE(-Infinity, bin.byteLength - 4);
    writeFileSync(join(dir, 'weights.bin'), bin);
    expect(await refusal(dir)).toBe(`${dir}/weights.bin:actor_out/bias.1: expected a finite number, got -Infinity`);
  });

  it('a truncated weights.bin', async () => {
    const dir = copy();
    truncateSync(join(dir, 'weights.bin'), 100);
    // 29×16 + 16 + 16×2 + 2 float32 values.
    expect(await refusal(dir)).toBe(
      `${dir}/weights.bin: expected 2056 bytes (the float32 weights model.json lists), got 100`,
    );
  });

  it('a model.json naming weights outside the checkpoint', async () => {
    const dir = copy();
    const path = join(dir, 'model.json');
    const m = JSON.parse(readFileSync(path, 'utf8'));
    m.weightsManifest[0].paths = ['../good/weights.bin'];
    writeFileSync(path, JSON.stringify(m));
    expect(await refusal(dir)).toMatch(
      new RegExp(
        `^${dir}/model\\.json:weightsManifest\\.0\\.paths\\.0: expected a file name in the checkpoint directory`,
      ),
    );
  });
});

describe('Normalizer.fromJSON', () => {
  it('refuses statistics that would give garbage or NaN', () => {
    expect(() => Normalizer.fromJSON({ mean: [0, 0], var: [1, -1], count: 2, clip: 10 })).toThrow(
      'normaliser state.var.1: expected a finite number ≥ 0, got -1',
    );
    expect(() => Normalizer.fromJSON({ mean: [0, 0], var: [1, 1], count: 2, clip: 10 }, 3)).toThrow(
      'normaliser state.mean: expected 3 finite numbers, got 2',
    );
    expect(Normalizer.fromJSON({ mean: [0, 1], var: [1, 4], count: 2, clip: 10 }).apply([1, 1])).toEqual(
      Float32Array.from([1, 0]),
    );
  });
});

describe('deployment', () => {
  it("the server's loader names the deployed file and field, not its temp dir", async () => {
    const dir = corrupt((f) => f.normalizer.mean.pop());
    await expect(checkpointLoader(navScenario.contract)(checkpointFiles(dir))).rejects.toThrow(
      /^policy\.json:normalizer\.mean: expected 29 finite numbers \(the contract's obs size\), got 28$/,
    );
  });

  it('a server refuses a corrupt deployment with bad_policy and keeps serving its policy', async () => {
    const served = join(root, 'served');
    const policy = await tinyCheckpoint(served, 'served-a', 0.3);
    const server = await PolicyServer.start({
      bind: `tcp://127.0.0.1:${await freePort()}`,
      policy,
      ...PATIENT,
      loadPolicy: checkpointLoader(policy.contract),
      allowDeploy: true,
    } as Parameters<typeof PolicyServer.start>[0]);
    const client = await RobotClient.connect({
      server: server.endpoint,
      robotId: 'watcher',
      contract: navScenario.contract,
      safeAction: navScenario.safe_action,
      deadlineMs: 10_000,
    });
    try {
      const obs = Float32Array.from({ length: 29 }, (_, i) => (i % 5) / 3);
      const before = await client.act(0, 0, obs);
      expect(before).toMatchObject({ missed: false, policyId: 'served-a', policyVersion: 1 });

      const bad = corrupt((f) => (f.normalizer.var[0] = -1), served);
      const refused = deployTo(server.endpoint, bad, { timeoutMs: 60_000 });
      await expect(refused).rejects.toThrow(InputError);
      await expect(refused).rejects.toThrow(
        /answered bad_policy: deploy refused, served-a keeps serving: policy\.json:normalizer\.var\.0: expected a finite number ≥ 0, got -1$/,
      );

      const nan = copy(served);
      const bin = readFileSync(join(nan, 'weights.bin'));
      bin.writeFloatLE(NaN, 0);
      writeFileSync(join(nan, 'weights.bin'), bin);
      await expect(deployTo(server.endpoint, nan, { timeoutMs: 60_000 })).rejects.toThrow(
        /answered bad_policy: .*weights\.bin:actor_h0\/kernel\.0: expected a finite number, got NaN$/,
      );

      const after = await client.act(0, 1, obs);
      expect(after).toMatchObject({ missed: false, policyId: 'served-a', policyVersion: 1 });
      expect(Array.from(after.action)).toEqual(Array.from(before.action));
      expect(Array.from(after.action)).toEqual(Array.from(policy.act(obs)));
    } finally {
      await client.close();
      await server.close();
      policy.dispose();
    }
  });
});
