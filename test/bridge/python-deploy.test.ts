/**
 * docs/protocol.md "Deploy rights" is enough to write a deployer: a Python deployer written from it
 * (test/bridge/python/deploy_from_doc.py: pyzmq, msgpack, cryptography's X25519) deploys to a
 * CurveZMQ server with a --deploy-allow key, and a robot key with a proof of its own is refused.
 * Needs Debian's python3-zmq, python3-msgpack and python3-cryptography (.ci/run installs them).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import * as zmq from 'zeromq';
import { PolicyServer } from '../../src/bridge/server.js';
import { checkpointLoader } from '../../src/bridge/served-policy.js';
import { freePort, navScenario, tinyCheckpoint, tinyPolicy } from './fixtures.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function deployFromDoc(args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const p = spawn('/usr/bin/python3', ['test/bridge/python/deploy_from_doc.py', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) =>
      out.trim() ? resolve(JSON.parse(out.trim())) : reject(new Error(`deploy_from_doc.py exited ${code}: ${err}`)),
    );
  });
}

it('a Python deployer written from the protocol page deploys with its key; a robot key is refused (not_allowed)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sim2real-pydeploy-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  await tinyCheckpoint(join(dir, 'ck'), 'from-python', 0.2);
  const serverKeys = zmq.curveKeyPair();
  const robotKeys = zmq.curveKeyPair();
  const admin = zmq.curveKeyPair();
  const server = await PolicyServer.start({
    bind: `tcp://127.0.0.1:${await freePort()}`,
    policy: await tinyPolicy(),
    curve: { ...serverKeys, allow: [robotKeys.publicKey] },
    deployers: [admin.publicKey],
    loadPolicy: checkpointLoader(navScenario.contract),
  });
  cleanups.push(() => server.close());
  const asRobot = await deployFromDoc([
    server.endpoint,
    serverKeys.publicKey,
    robotKeys.publicKey,
    robotKeys.secretKey,
    join(dir, 'ck'),
  ]);
  expect(asRobot).toMatchObject({ answer: 'error', code: 'not_allowed' });
  const asAdmin = await deployFromDoc([
    server.endpoint,
    serverKeys.publicKey,
    admin.publicKey,
    admin.secretKey,
    join(dir, 'ck'),
  ]);
  expect(asAdmin).toEqual({ answer: 'deployed', code: null, message: null, policy_version: 2 });
  expect(server.stats().policyId).toBe('from-python');
});
