/** Endpoints are checked before libzmq sees them (it says only "Invalid argument", and wraps big ports). */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkEndpoint } from '../../src/bridge/endpoint.js';
import { PolicyServer } from '../../src/bridge/server.js';
import { RobotClient } from '../../src/bridge/robot-client.js';
import { deployTo } from '../../src/bridge/deploy.js';
import { PATIENT, navScenario, tinyCheckpoint, tinyPolicy } from './fixtures.js';
import { sim2real } from '../cli/helpers.js';

describe('checkEndpoint', () => {
  it('takes tcp://HOST:PORT with PORT 1-65535, * only for a bind', () => {
    expect(checkEndpoint('tcp://127.0.0.1:5555', '--connect', { bind: false })).toEqual({
      host: '127.0.0.1',
      port: 5555,
    });
    expect(checkEndpoint('tcp://[::1]:65535', '--connect', { bind: false })).toEqual({ host: '::1', port: 65535 });
    expect(checkEndpoint('tcp://127.0.0.1:*', '--bind', { bind: true })).toEqual({ host: '127.0.0.1', port: '*' });
    expect(() => checkEndpoint('tcp://127.0.0.1:*', '--connect', { bind: false })).toThrow(
      '--connect tcp://127.0.0.1:*: expected tcp://HOST:PORT with PORT in 1-65535',
    );
    expect(() => checkEndpoint('tcp://127.0.0.1:70000', '--bind', { bind: true })).toThrow(/got port 70000$/);
    expect(() => checkEndpoint('tcp://127.0.0.1:0', '--server', { bind: false })).toThrow(/got port 0$/);
    expect(() => checkEndpoint('notaurl', '--server', { bind: false })).toThrow(
      /^--server notaurl: expected tcp:\/\/HOST:PORT/,
    );
  });

  it('the CLI refuses bad endpoints with a one-line error naming the flag (exit 2)', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['serve', '--policy', 'nowhere', '--bind', 'tcp://127.0.0.1:70000'],
        /--bind tcp:\/\/127\.0\.0\.1:70000: expected .* got port 70000/,
      ],
      [['deploy', '--policy', 'nowhere', '--server', 'notaurl'], /--server notaurl: expected tcp:\/\/HOST:PORT/],
      [
        [
          'robot',
          'emulate',
          '--scenario',
          'scenarios/grasp-cube.yaml',
          '--reality',
          'scenarios/reality/grasp-cube.yaml',
          '--connect',
          'tcp://127.0.0.1:99999',
        ],
        /--connect tcp:\/\/127\.0\.0\.1:99999: .* got port 99999/,
      ],
    ];
    for (const [args, re] of cases) {
      const r = await sim2real(args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(re);
    }
  });
});

// Containers may run without IPv6: the test needs the loopback ::1.
const hasIpv6Loopback = Object.values(networkInterfaces()).some((list) => list?.some((a) => a.address === '::1'));

describe('IPv6 endpoints', () => {
  it.skipIf(!hasIpv6Loopback)(
    'a server bound to tcp://[::1]:PORT serves a RobotClient and answers a deploy',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sim2real-ipv6-'));
      const server = await PolicyServer.start({ bind: 'tcp://[::1]:*', policy: await tinyPolicy(), ...PATIENT });
      try {
        expect(server.endpoint).toMatch(/^tcp:\/\/\[::1\]:\d+$/);
        const c = await RobotClient.connect({
          server: server.endpoint,
          robotId: 'v6',
          contract: navScenario.contract,
          safeAction: navScenario.safe_action,
          deadlineMs: 5000,
        });
        expect((await c.act(0, 0, new Float32Array(29))).missed).toBe(false);
        await c.close();
        (await tinyCheckpoint(dir, 'v6-policy', 0.5)).dispose();
        // This server takes no deployments: the refusal still comes back over IPv6.
        await expect(deployTo(server.endpoint, dir, { timeoutMs: 60_000 })).rejects.toThrow(/not_allowed/);
      } finally {
        await server.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
