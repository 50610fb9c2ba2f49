/**
 * Off-loopback serving through the built CLI: `keys generate` writes CurveZMQ key files, `serve`
 * refuses a non-loopback bind without keys or `--insecure`, and with keys an emulated robot holding
 * an allow-listed key pair is served.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, tinyCheckpoint } from '../bridge/fixtures.js';
import { ServeProcess } from '../bridge/serve-process.js';
import { sim2real } from './helpers.js';

const SCENARIO = 'scenarios/navigate-obstacles.yaml';
const REALITY = 'scenarios/reality/navigate-obstacles.yaml';
const dir = mkdtempSync(join(tmpdir(), 'sim2real-bridge-keys-'));
const keys = join(dir, 'keys');
const policy = join(dir, 'policy');
const Z85_KEY = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/;

beforeAll(async () => {
  await tinyCheckpoint(policy, 'tiny-served', 0.3);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const keyLine = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l && !l.startsWith('#'))!;

describe('keys generate', () => {
  it('writes NAME.key (private to its owner) and NAME.pub, each one Z85 key, and never overwrites them', async () => {
    for (const name of ['server', 'robot-1']) {
      const r = await sim2real(['keys', 'generate', '--out', keys, '--name', name]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`${name}.key`);
    }
    for (const name of ['server', 'robot-1']) {
      expect(statSync(join(keys, `${name}.key`)).mode & 0o777).toBe(0o600);
      expect(keyLine(join(keys, `${name}.key`))).toMatch(Z85_KEY);
      expect(keyLine(join(keys, `${name}.pub`))).toMatch(Z85_KEY);
    }
    expect(keyLine(join(keys, 'server.pub'))).not.toBe(keyLine(join(keys, 'robot-1.pub')));
    const before = readFileSync(join(keys, 'server.key'), 'utf8');
    const again = await sim2real(['keys', 'generate', '--out', keys, '--name', 'server']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^sim2real: error: .*server\.key: expected a new file, got an existing one/);
    expect(readFileSync(join(keys, 'server.key'), 'utf8')).toBe(before);
  });
});

describe('serve off loopback', () => {
  it('refuses a non-loopback bind without CurveZMQ keys or --insecure (exit 2, one line)', async () => {
    const bind = `tcp://0.0.0.0:${await freePort()}`;
    // A server that wrongly starts would serve until killed: give up (and kill it) after 2 minutes (it refuses within a second when all is well).
    const r = await sim2real(['serve', '--policy', policy, '--bind', bind, '--record', join(dir, 'never')], {
      timeoutMs: 120_000,
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(
      `--bind ${bind}: expected a loopback address, CurveZMQ keys (--curve-keys PREFIX with --allow ROBOT.pub) or an explicit --insecure`,
    );
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('serves an allow-listed robot over CurveZMQ on a non-loopback bind', async () => {
    expect(existsSync(join(keys, 'server.key')), 'keys generate ran first').toBe(true);
    const port = await freePort();
    const server = await ServeProcess.start([
      '--policy',
      policy,
      '--bind',
      `tcp://0.0.0.0:${port}`,
      '--curve-keys',
      join(keys, 'server'),
      '--allow',
      join(keys, 'robot-1.pub'),
      '--record',
      join(dir, 'served'),
    ]);
    try {
      expect(server.stderr).toMatch(/serving tiny-served v1 on tcp:\/\/0\.0\.0\.0:\d+ \(CurveZMQ\)/);
      const connect = `tcp://127.0.0.1:${port}`;
      const r = await sim2real([
        'robot',
        'emulate',
        '--scenario',
        SCENARIO,
        '--reality',
        REALITY,
        '--connect',
        connect,
        '--episodes',
        '1',
        '--curve-keys',
        join(keys, 'robot-1'),
        '--server-key',
        join(keys, 'server.pub'),
        '--json',
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ episodes: 1, policyVersions: [1] });

      // The keys must be given in pairs: half a CurveZMQ setup is bad input.
      const half = await sim2real([
        'robot',
        'emulate',
        '--scenario',
        SCENARIO,
        '--reality',
        REALITY,
        '--connect',
        connect,
        '--curve-keys',
        join(keys, 'robot-1'),
      ]);
      expect(half.code).toBe(2);
      expect(half.stderr).toMatch(/--curve-keys and --server-key: expected both or neither/);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('deploy rights: only a --deploy-allow key deploys (a robot key gets not_allowed, exit 2); --allow-deploy is refused off loopback and with keys', async () => {
    for (const name of ['admin'])
      if (!existsSync(join(keys, `${name}.pub`)))
        expect((await sim2real(['keys', 'generate', '--out', keys, '--name', name])).code).toBe(0);
    const port = await freePort();
    const server = await ServeProcess.start([
      '--policy',
      policy,
      '--bind',
      `tcp://0.0.0.0:${port}`,
      '--curve-keys',
      join(keys, 'server'),
      '--allow',
      join(keys, 'robot-1.pub'),
      '--deploy-allow',
      join(keys, 'admin.pub'),
      '--record',
      join(dir, 'served-deploy'),
    ]);
    try {
      expect(server.stderr).toMatch(/\(deploy: 1 deployer key\(s\)\)/);
      const connect = `tcp://127.0.0.1:${port}`;
      const asRobot = await sim2real([
        'deploy',
        '--policy',
        policy,
        '--server',
        connect,
        '--curve-keys',
        join(keys, 'robot-1'),
        '--server-key',
        join(keys, 'server.pub'),
      ]);
      expect(asRobot.code).toBe(2);
      expect(asRobot.stderr.trim().split('\n')).toHaveLength(1);
      expect(asRobot.stderr).toMatch(
        /answered not_allowed: deploy: key .{8}… is not on the server's --deploy-allow list/,
      );
      const asAdmin = await sim2real([
        'deploy',
        '--policy',
        policy,
        '--server',
        connect,
        '--curve-keys',
        join(keys, 'admin'),
        '--server-key',
        join(keys, 'server.pub'),
        '--json',
      ]);
      expect(asAdmin.stderr).toBe('');
      expect(JSON.parse(asAdmin.stdout)).toEqual({ policyId: 'tiny-served', policyVersion: 2 });
    } finally {
      expect(await server.stop()).toBe(0);
    }
    const offLoopback = await sim2real(
      ['serve', '--policy', policy, '--bind', `tcp://0.0.0.0:${await freePort()}`, '--insecure', '--allow-deploy'],
      { timeoutMs: 120_000 },
    );
    expect(offLoopback.code).toBe(2);
    expect(offLoopback.stderr).toMatch(/--allow-deploy: expected a loopback --bind/);
    const withKeys = await sim2real(
      [
        'serve',
        '--policy',
        policy,
        '--curve-keys',
        join(keys, 'server'),
        '--allow',
        join(keys, 'robot-1.pub'),
        '--allow-deploy',
      ],
      { timeoutMs: 120_000 },
    );
    expect(withKeys.code).toBe(2);
    expect(withKeys.stderr).toMatch(
      /--allow-deploy: with --curve-keys, name the deployers with --deploy-allow instead/,
    );
  });

  it('serves a non-loopback bind without keys when told --insecure', async () => {
    const port = await freePort();
    const server = await ServeProcess.start([
      '--policy',
      policy,
      '--bind',
      `tcp://0.0.0.0:${port}`,
      '--insecure',
      '--record',
      join(dir, 'served-insecure'),
    ]);
    try {
      const r = await sim2real([
        'robot',
        'emulate',
        '--scenario',
        SCENARIO,
        '--reality',
        REALITY,
        '--connect',
        `tcp://127.0.0.1:${port}`,
        '--episodes',
        '1',
        '--json',
      ]);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ episodes: 1, policyVersions: [1] });
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
