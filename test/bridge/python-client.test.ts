/**
 * The Python robot client (clients/python/sim2real_client.py, pyzmq + msgpack) against the real
 * policy server, and against a scripted fake server that checks its side of docs/protocol.md:
 * clamping, NaN, deadlines with the safe action, late and error replies, sequence numbers.
 *
 * Needs Debian's python3-zmq and python3-msgpack under /usr/bin/python3 (CI installs them): without
 * them these tests fail, they do not skip.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as zmq from 'zeromq';
import { PolicyServer, type PolicyServerOptions } from '../../src/bridge/server.js';
import { RobotClient } from '../../src/bridge/robot-client.js';
import { readEpisodes } from '../../src/episodes/reader.js';
import type { GaussianMlpPolicy } from '../../src/policy/models/gaussian-policy.js';
import { EVENT_MS, PATIENT, f32, freePort, msgpack, navScenario, tinyPolicy, until } from './fixtures.js';

const PYTHON = '/usr/bin/python3';
const CLIENT = 'clients/python/sim2real_client.py';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Start the client script (asynchronously: the server under test lives in this process's event
 * loop); `stderr()` is what it wrote so far. It gets 60 s to connect unless `args` say otherwise,
 * and is killed after `timeoutMs` (a hang detector).
 */
function startClient(args: string[], timeoutMs = 120_000): { done: Promise<Run>; stderr: () => string } {
  assertPython();
  let stdout = '';
  let stderr = '';
  const done = new Promise<Run>((resolve, reject) => {
    const p = spawn(PYTHON, [CLIENT, '--connect-timeout', '60', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
  return { done, stderr: () => stderr };
}

/** Run the client script to its end. */
function runClient(args: string[], timeoutMs?: number): Promise<Run> {
  return startClient(args, timeoutMs).done;
}

/** The one JSON summary line the script prints. */
function summary(r: Run): Record<string, any> {
  const lines = r.stdout.trim().split('\n');
  expect(lines, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toHaveLength(1);
  return JSON.parse(lines[0]);
}

/** The contract as a robot sends it in hello: only the fields docs/protocol.md defines. */
const wireContract = Object.fromEntries(
  (['obs', 'action'] as const).map((side) => [
    side,
    navScenario.contract[side].map(({ name, size, unit, low, high }) => ({ name, size, unit, low, high })),
  ]),
);

const f32eq = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  expect(Array.from(Float32Array.from(a))).toEqual(Array.from(Float32Array.from(b)));

let tmp: string;
let policy: GaussianMlpPolicy;
const cleanups: (() => Promise<void> | void)[] = [];

let pythonProblem: string | null | undefined;

/** Fail (never skip) when /usr/bin/python3 cannot import zmq and msgpack. */
function assertPython(): void {
  if (pythonProblem === undefined) {
    const probe = spawnSync(PYTHON, ['-c', 'import zmq, msgpack; print(zmq.zmq_version(), msgpack.version)'], {
      encoding: 'utf8',
    });
    pythonProblem =
      probe.status === 0
        ? null
        : `${PYTHON} cannot import zmq and msgpack (${(probe.error?.message ?? probe.stderr).trim().split('\n').pop()}): ` +
          'install the Debian packages python3-zmq and python3-msgpack (apt-get install -y python3-zmq python3-msgpack; .ci/run does this)';
  }
  if (pythonProblem) throw new Error(pythonProblem);
}

beforeEach(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'sim2real-py-'));
  policy = await tinyPolicy();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  rmSync(tmp, { recursive: true, force: true });
});

async function serve(opts: Partial<PolicyServerOptions> = {}): Promise<PolicyServer> {
  const s = await PolicyServer.start({
    bind: `tcp://127.0.0.1:${await freePort()}`,
    policy,
    recordDir: join(tmp, 'rec'),
    ...PATIENT,
    ...opts,
  });
  cleanups.push(() => s.close());
  return s;
}

/** The script said bye (its process may exit before the server has read it). */
function untilNoRobots(server: PolicyServer): Promise<void> {
  return until(() => server.stats().robots === 0, EVENT_MS, 'the python robot says bye');
}

function writeJson(name: string, value: unknown): string {
  const path = join(tmp, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

describe('Python client against the policy server', () => {
  it('has /usr/bin/python3 with pyzmq and msgpack (Debian python3-zmq, python3-msgpack)', () => {
    assertPython();
  });

  it('gets exactly the actions the server computed, and the server records its episodes', async () => {
    const server = await serve();
    const contractFile = writeJson('nav-contract.json', navScenario.contract);
    const r = await runClient([
      '--server',
      server.endpoint,
      '--contract',
      contractFile,
      '--steps',
      '30',
      '--episode-steps',
      '10',
      '--robot-id',
      'py-bot',
      '--seed',
      '3',
      '--deadline-ms',
      '5000',
      '--trace',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const s = summary(r);
    expect(s).toMatchObject({
      ok: true,
      robot_id: 'py-bot',
      policy_id: 'tiny',
      policy_version: 1,
      steps: 30,
      episodes: 3,
      served: 30,
      missed: 0,
      clamped: 0,
      reconnects: 0,
    });
    expect(s.trace).toHaveLength(30);
    for (const t of s.trace) {
      expect(t.missed).toBe(false);
      // What python received is what the policy computes for the observation python sent.
      f32eq(t.action, policy.act(Float32Array.from(t.obs)));
    }
    expect(server.stats().actions).toBe(30);

    await untilNoRobots(server);
    await server.close();
    const { files, episodes } = await readEpisodes(join(tmp, 'rec'));
    expect(files).toHaveLength(1);
    expect(files[0].episodes.every((e) => e.start.randomization.robot_id === 'py-bot')).toBe(true);
    expect(episodes.map((e) => [e.start.index, e.steps.length, !!e.end])).toEqual([
      [0, 10, true],
      [1, 10, true],
      [2, 10, true],
    ]);
    for (const e of episodes) {
      expect(e.start).toMatchObject({ source: 'real', seed: 3000 + e.start.index, contract: wireContract });
      expect(e.start.randomization).toMatchObject({ robot_id: 'py-bot', fake_robot: true });
      expect(e.end).toMatchObject({ success: false, truncated: true, length: 10 });
      e.steps.forEach((st, k) => {
        const t = s.trace[e.start.index * 10 + k];
        f32eq(st.obs, t.obs);
        f32eq(st.action, t.action);
        f32eq(st.appliedAction, t.action);
        expect(st.latencyMs).toBeGreaterThanOrEqual(0);
      });
    }
  });

  it('reads a scenario as JSON (safe action, control rate, name) and paces itself at the rate', async () => {
    const log: string[] = [];
    const server = await serve({ log: (l) => log.push(l) });
    const scenarioFile = writeJson('nav-scenario.json', {
      ...navScenario,
      control: { ...navScenario.control, rate_hz: 50 },
    });
    const t0 = Date.now();
    const r = await runClient([
      '--server',
      server.endpoint,
      '--contract',
      scenarioFile,
      '--steps',
      '10',
      '--robot-id',
      'paced',
      '--rate-hz',
      '50',
      '--deadline-ms',
      '5000',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(summary(r)).toMatchObject({ ok: true, served: 10, missed: 0, episodes: 1 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(9 * 20);
    await untilNoRobots(server);
    await server.close();
    const { episodes } = await readEpisodes(join(tmp, 'rec'));
    // No scenario on the server: the rate and name come from the robot's hello.
    expect(episodes[0].start).toMatchObject({ controlHz: 50, scenario: navScenario.name });
    expect(log.filter((l) => l.startsWith('error '))).toEqual([]);
  });

  it('reports a refused contract in its summary and exits 1', async () => {
    const server = await serve();
    const bad = structuredClone(navScenario.contract);
    bad.obs[0].size = 16;
    const r = await runClient(['--server', server.endpoint, '--contract', writeJson('bad.json', bad), '--steps', '5']);
    expect(r.code).toBe(1);
    const s = summary(r);
    expect(s.ok).toBe(false);
    expect(s.error).toMatch(/contract_mismatch: .*obs\.lidar: expected size 24, got 16/);
  });

  it('a robot id already connected: keeps saying hello until its connect timeout, then reports duplicate_robot and exits 1', async () => {
    const server = await serve();
    const first = await RobotClient.connect({
      server: server.endpoint,
      robotId: 'twin',
      contract: navScenario.contract,
      safeAction: navScenario.safe_action,
      deadlineMs: 500,
    });
    try {
      const r = await runClient([
        '--server',
        server.endpoint,
        '--contract',
        writeJson('twin.json', navScenario.contract),
        '--steps',
        '5',
        '--robot-id',
        'twin',
        '--connect-timeout',
        '3',
      ]);
      expect(r.code).toBe(1);
      expect(summary(r).error).toMatch(
        /duplicate_robot: .* refused robot twin for 3 s: robot_id "twin": already connected/,
      );
      expect(server.stats().robots).toBe(1);
    } finally {
      await first.close();
    }
  });

  it('times out clearly when nobody answers', async () => {
    const r = await runClient([
      '--server',
      `tcp://127.0.0.1:${await freePort()}`,
      '--contract',
      writeJson('c.json', navScenario.contract),
      '--connect-timeout',
      '0.3',
    ]);
    expect(r.code).toBe(1);
    expect(summary(r).error).toMatch(/no welcome from tcp:\/\/127\.0\.0\.1:\d+ within 0\.3 s/);
  });

  it('rides out a server restart: safe action while it is down, then reconnects by itself', async () => {
    const bind = `tcp://127.0.0.1:${await freePort()}`;
    let server = await serve({ bind });
    const py = startClient([
      '--server',
      bind,
      '--contract',
      writeJson('c.json', navScenario.contract),
      '--steps',
      '100',
      '--rate-hz',
      '50',
      '--deadline-ms',
      '500',
      '--safe-action',
      '0,0.25',
      '--trace',
      '--verbose',
    ]);
    await until(() => server.stats().actions >= 10, EVENT_MS, 'the python robot gets going');
    await server.close();
    // Down until the robot has noticed (3 missed deadlines: it holds the safe action and reconnects),
    // and for a while after (at 50 Hz it keeps stepping, on the safe action).
    await until(() => /lost the server/.test(py.stderr()), EVENT_MS, 'the python robot notices the server is gone');
    await new Promise((res) => setTimeout(res, 300));
    for (let attempt = 0; ; attempt++) {
      try {
        server = await serve({ bind });
        break;
      } catch (e) {
        if (attempt > 200) throw e;
        await new Promise((res) => setTimeout(res, 50));
      }
    }
    const r = await py.done;
    expect(r.code, r.stderr).toBe(0);
    const s = summary(r);
    // One reconnection, unless a loaded machine made it miss 3 deadlines in a row once more.
    expect(s.reconnects).toBeGreaterThanOrEqual(1);
    expect(s.missed).toBeGreaterThanOrEqual(5);
    expect(s.served + s.missed).toBe(100);
    const trace = s.trace as { obs: number[]; action: number[]; missed: boolean }[];
    for (const t of trace) {
      if (t.missed) expect(t.action).toEqual([0, 0.25]);
      else f32eq(t.action, policy.act(Float32Array.from(t.obs)));
    }
    // Served, missed while down, served again at the end (a loaded machine may add a miss anywhere).
    const pattern = trace.map((t) => (t.missed ? 'm' : 's')).join('');
    expect(pattern).toMatch(/s.*m{5,}.*s$/);
    expect(server.stats().actions).toBeGreaterThanOrEqual(10);
  });

  it('talks CurveZMQ with an allow-listed key', async () => {
    const serverKeys = zmq.curveKeyPair();
    const robotKeys = zmq.curveKeyPair();
    const server = await serve({ curve: { ...serverKeys, allow: [robotKeys.publicKey] } });
    const args = [
      '--server',
      server.endpoint,
      '--contract',
      writeJson('c.json', navScenario.contract),
      '--steps',
      '5',
      '--deadline-ms',
      '5000',
      `--curve-server-key=${serverKeys.publicKey}`,
    ];
    // Z85 keys may start with '-': pass them as --flag=VALUE.
    const ok = await runClient([
      ...args,
      `--curve-public-key=${robotKeys.publicKey}`,
      `--curve-secret-key=${robotKeys.secretKey}`,
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(summary(ok)).toMatchObject({ ok: true, served: 5 });
    // The same from key files (PREFIX.key / PREFIX.pub, and the server's .pub).
    writeFileSync(join(tmp, 'robot.pub'), `# robot\n${robotKeys.publicKey}\n`);
    writeFileSync(join(tmp, 'robot.key'), `${robotKeys.secretKey}\n`);
    writeFileSync(join(tmp, 'server.pub'), `${serverKeys.publicKey}\n`);
    const fromFiles = await runClient([
      '--server',
      server.endpoint,
      '--contract',
      join(tmp, 'c.json'),
      '--steps',
      '3',
      '--deadline-ms',
      '5000',
      '--curve-server-key',
      join(tmp, 'server.pub'),
      '--curve-keys',
      join(tmp, 'robot'),
    ]);
    expect(fromFiles.code, fromFiles.stderr).toBe(0);
    expect(summary(fromFiles)).toMatchObject({ ok: true, served: 3 });
    const stranger = zmq.curveKeyPair();
    const refused = await runClient([
      ...args,
      `--curve-public-key=${stranger.publicKey}`,
      `--curve-secret-key=${stranger.secretKey}`,
      '--connect-timeout',
      '0.3',
    ]);
    expect(refused.code).toBe(1);
    expect(summary(refused).error).toMatch(/no welcome/);
  });
});

describe('Python client against a scripted server (its side of the protocol)', () => {
  it('clamps, replaces NaN, applies the safe action on a missed deadline or an error, discards late actions, numbers its messages', async () => {
    const router = new zmq.Router({ linger: 0 });
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    await router.bind(endpoint);
    const received: Record<string, any>[] = [];
    let seqOut = 0;
    const reply = (id: Buffer, m: Record<string, unknown>) =>
      router.send([id, msgpack.pack({ ...m, seq: ++seqOut, time: Date.now() / 1000 })]);
    const action = (obs: Record<string, any>, values: number[]) => ({
      type: 'action',
      reply_to: obs.seq,
      episode: obs.episode,
      step: obs.step,
      action: f32(values),
      policy_id: 'script',
      policy_version: 7,
      compute_us: 1.5,
    });
    let held: Record<string, any> | null = null;
    const loop = (async () => {
      try {
        for await (const [id, frame, ...extra] of router) {
          const m = msgpack.unpack(frame) as Record<string, any>;
          received.push(extra.length ? { ...m, extraFrames: extra.length } : m);
          // Heartbeats a minute apart: none falls due in this short run (the list of what python sent is checked whole).
          if (m.type === 'hello')
            await reply(id, {
              type: 'welcome',
              protocol: 1,
              session: 'scripted',
              policy_id: 'script',
              policy_version: 7,
              heartbeat_ms: 60_000,
              liveness: 10,
            });
          if (m.type !== 'obs') continue;
          switch (m.step) {
            case 0:
              await reply(id, action(m, [2, -3])); // out of range: clamped to [1, -1]
              break;
            case 1:
              await reply(id, action(m, [NaN, 0.5])); // NaN: the safe action's value
              break;
            case 2:
              held = m; // no answer by the deadline
              break;
            case 3:
              await reply(id, action(held!, [0.9, 0.9])); // late answer to step 2: discarded
              await reply(id, action(m, [0.1, -0.2]));
              break;
            case 4:
              await reply(id, {
                type: 'error',
                code: 'internal',
                message: 'scripted failure',
                reply_to: m.seq,
                fatal: false,
              });
              break;
            default:
              await reply(id, { type: 'heartbeat' });
              await reply(id, action(m, [-0.5, 0.5]));
          }
        }
      } catch {
        // closed
      }
    })();
    cleanups.push(async () => {
      router.close();
      await loop;
    });

    // A deadline no answer misses on a loaded machine: only step 2's (held back) and step 4's (an error) miss.
    const r = await runClient([
      '--server',
      endpoint,
      '--contract',
      writeJson('c.json', navScenario.contract),
      '--steps',
      '7',
      '--episode-steps',
      '7',
      '--deadline-ms',
      '2000',
      '--safe-action',
      '0,0.25',
      '--robot-id',
      'scripted-bot',
      '--trace',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const s = summary(r);
    expect(s).toMatchObject({
      ok: true,
      steps: 7,
      served: 5,
      missed: 2,
      clamped: 2,
      reconnects: 0,
      policy_id: 'script',
      policy_version: 7,
      session: 'scripted',
    });
    const got = s.trace.map((t: { action: number[]; missed: boolean }) => [t.missed, ...t.action]);
    expect(got).toEqual([
      [false, 1, -1],
      [false, 0, 0.5],
      [true, 0, 0.25],
      [false, Math.fround(0.1), Math.fround(-0.2)],
      [true, 0, 0.25],
      [false, -0.5, 0.5],
      [false, -0.5, 0.5],
    ]);

    // What python sent: hello (seq 1), then every message numbered +1, stamped, typed as the page says
    // (its last ones may still be on their way when it has exited).
    await until(() => received.some((m) => m.type === 'bye'), EVENT_MS, 'the bye arrives');
    expect(received.filter((m) => m.extraFrames)).toEqual([]);
    expect(received.map((m) => m.type)).toEqual([
      'hello',
      'episode_start',
      'obs',
      'obs',
      'obs',
      'obs',
      'obs',
      'obs',
      'obs',
      'episode_end',
      'bye',
    ]);
    received.forEach((m, i) => {
      expect(m.seq).toBe(i + 1);
      expect(typeof m.time).toBe('number');
      expect(Math.abs(m.time - Date.now() / 1000)).toBeLessThan(60);
    });
    const hello = received[0];
    expect(hello).toMatchObject({ protocol: 1, robot_id: 'scripted-bot' });
    expect(hello.contract).toEqual(wireContract);
    expect(Object.keys(hello).sort()).toEqual(['contract', 'protocol', 'robot_id', 'seq', 'time', 'type']);
    expect(received[1]).toMatchObject({ episode: 0, seed: 0, info: { fake_robot: true } });
    const obs = received.filter((m) => m.type === 'obs');
    obs.forEach((m, k) => {
      expect(m).toMatchObject({ episode: 0, step: k });
      expect(m.obs).toBeInstanceOf(Uint8Array);
      expect(m.obs.byteLength).toBe(29 * 4);
      if (k === 0) expect(m.applied).toBeUndefined();
      else {
        // The applied action reported is the one the robot used for the previous step (clamped / safe).
        expect(Array.from(new Float32Array(new Uint8Array(m.applied).buffer))).toEqual(
          got[k - 1].slice(1).map(Math.fround),
        );
        expect(typeof m.reward).toBe('number');
        expect(m.terminated).toBe(false);
      }
    });
    expect(received[9]).toMatchObject({
      type: 'episode_end',
      episode: 0,
      success: false,
      terminated: false,
      truncated: true,
      length: 7,
    });
  });
});
