/**
 * Corrupt checkpoints through the built CLI: eval, serve, finetune and deploy refuse them with exit
 * 2 and one line naming the file and field; deploy refuses before contacting the server, and
 * still hands a good one over.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolicyServer } from '../../src/bridge/server.js';
import { checkpointLoader } from '../../src/bridge/served-policy.js';
import { freePort, tinyCheckpoint, tinyPolicy } from '../bridge/fixtures.js';
import { sim2real } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'sim2real-corrupt-policy-'));
/** A run directory: commands take RUN and read RUN/policy. */
const run = join(root, 'run');
const good = join(run, 'policy');

beforeAll(async () => {
  (await tinyCheckpoint(good, 'good')).dispose();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let copies = 0;
/** A copy of the run with its policy.json edited. */
function corruptRun(edit: (f: { normalizer: { mean: number[]; var: number[] }; logStd: number[] }) => void): string {
  const dir = join(root, `bad-run-${++copies}`);
  cpSync(run, dir, { recursive: true });
  const path = join(dir, 'policy', 'policy.json');
  const f = JSON.parse(readFileSync(path, 'utf8'));
  edit(f);
  writeFileSync(path, JSON.stringify(f));
  return dir;
}

function expectRefused(r: { code: number; stdout: string; stderr: string }, line: string): void {
  expect(r.stdout).toBe('');
  expect(r.stderr).toBe(`sim2real: error: ${line}\n`);
  expect(r.code).toBe(2);
}

describe('eval, serve and finetune refuse a corrupt policy', () => {
  it('eval: a normaliser mean of the wrong length', async () => {
    const bad = corruptRun((f) => f.normalizer.mean.pop());
    const r = await sim2real([
      'eval',
      '--policy',
      bad,
      '--scenario',
      'scenarios/navigate-obstacles.yaml',
      '--episodes',
      '1',
      '--workers',
      '1',
      '--backend',
      'cpu',
    ]);
    expectRefused(
      r,
      `${bad}/policy/policy.json:normalizer.mean: expected 29 finite numbers (the contract's obs size), got 28`,
    );
  });

  it('serve: a negative variance (it would serve NaN actions)', async () => {
    const bad = corruptRun((f) => (f.normalizer.var[2] = -1));
    const r = await sim2real(
      ['serve', '--policy', bad, '--bind', `tcp://127.0.0.1:${await freePort()}`, '--backend', 'cpu'],
      { timeoutMs: 300_000 },
    );
    expectRefused(r, `${bad}/policy/policy.json:normalizer.var.2: expected a finite number ≥ 0, got -1`);
  });

  it('finetune: a log-std of the wrong length, before anything is written', async () => {
    const bad = corruptRun((f) => f.logStd.push(0));
    const out = join(root, 'finetuned');
    const r = await sim2real([
      'finetune',
      '--policy',
      bad,
      '--data',
      join(root, 'no-episodes'),
      '--out',
      out,
      '--backend',
      'cpu',
    ]);
    expectRefused(r, `${bad}/policy/policy.json:logStd: expected 2 finite numbers (the contract's action size), got 3`);
  });
});

describe('deploy refuses a corrupt policy without contacting the server', () => {
  let listener: Server;
  let port: number;
  let connections = 0;

  beforeAll(async () => {
    port = await freePort();
    listener = createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((res) => listener.listen(port, '127.0.0.1', res));
  });
  afterAll(() => new Promise<void>((res) => listener.close(() => res())));

  it('a truncated weights.bin', async () => {
    const bad = join(root, 'truncated');
    cpSync(good, bad, { recursive: true });
    truncateSync(join(bad, 'weights.bin'), 100);
    const r = await sim2real(['deploy', '--policy', bad, '--server', `tcp://127.0.0.1:${port}`]);
    expectRefused(r, `${bad}/weights.bin: expected 2056 bytes (the float32 weights model.json lists), got 100`);
  });

  it('a NaN weight', async () => {
    const bad = join(root, 'nan-weight');
    cpSync(good, bad, { recursive: true });
    const bin = readFileSync(join(bad, 'weights.bin'));
    bin.writeFloatLE(NaN, 4 * 7);
    writeFileSync(join(bad, 'weights.bin'), bin);
    const r = await sim2real(['deploy', '--policy', bad, '--server', `tcp://127.0.0.1:${port}`]);
    expectRefused(r, `${bad}/weights.bin:actor_h0/kernel.7: expected a finite number, got NaN`);
  });

  it('a run whose normaliser mean has the wrong length', async () => {
    const bad = corruptRun((f) => f.normalizer.mean.push(0));
    const r = await sim2real(['deploy', '--policy', bad, '--server', `tcp://127.0.0.1:${port}`]);
    expectRefused(
      r,
      `${bad}/policy/policy.json:normalizer.mean: expected 29 finite numbers (the contract's obs size), got 30`,
    );
    // libzmq would have opened a TCP connection on connect(); none came.
    expect(connections).toBe(0);
  });
});

describe('deploy of a good policy', () => {
  it('passes the local check and is swapped in', async () => {
    const policy = await tinyPolicy('serving', 0.4);
    const server = await PolicyServer.start({
      bind: `tcp://127.0.0.1:${await freePort()}`,
      policy,
      loadPolicy: checkpointLoader(policy.contract),
      allowDeploy: true,
    } as Parameters<typeof PolicyServer.start>[0]);
    try {
      const r = await sim2real(['deploy', '--policy', run, '--server', server.endpoint, '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ policyId: 'good', policyVersion: 2 });
    } finally {
      await server.close();
      policy.dispose();
    }
  });
});
