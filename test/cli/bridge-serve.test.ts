/**
 * The bridge through the built CLI: a behaviour-cloned policy (collected and trained with the CLI)
 * served by `sim2real serve`, an emulated robot (`robot emulate`) running episodes against it, the
 * server's MCAP recording of them, `deploy` of a good checkpoint and refusals of bad ones, and the
 * `--realtime` control loop.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEpisodes } from '../../src/episodes/reader.js';
import { loadCheckpoint } from '../../src/policy/checkpoints/checkpoint.js';
import { RobotClient } from '../../src/bridge/robot-client.js';
import { loadScenario } from '../../src/sim/scenario-file.js';
import { freePort, navScenario, tinyCheckpoint } from '../bridge/fixtures.js';
import { ServeProcess } from '../bridge/serve-process.js';
import { sim2real } from './helpers.js';

const SCENARIO = 'scenarios/navigate-obstacles.yaml';
const REALITY = 'scenarios/reality/navigate-obstacles.yaml';
const dir = mkdtempSync(join(tmpdir(), 'sim2real-bridge-serve-'));
const run = join(dir, 'run-bc');
const deployed = join(dir, 'deployed');
const recordings = join(dir, 'served');
let server: ServeProcess;

/** Wilson score interval at 95%, written out here rather than taken from the code under test. */
function wilson95(k: number, n: number): [number, number] {
  const z = 1.96;
  const p = k / n;
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z / (1 + (z * z) / n)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

async function ok(args: string[]): Promise<string> {
  const r = await sim2real(args);
  if (r.code !== 0) throw new Error(`sim2real ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

beforeAll(async () => {
  await ok(['collect', SCENARIO, '--episodes', '12', '--workers', '2', '--out', join(dir, 'demos')]);
  await ok([
    'train',
    SCENARIO,
    '--algo',
    'bc',
    '--data',
    join(dir, 'demos'),
    '--out',
    run,
    '--epochs',
    '30',
    '--hidden',
    '32,32',
    '--eval-episodes',
    '2',
    '--workers',
    '1',
  ]);
  // --heartbeat-ms 2500: a 10 s liveness window, so that no robot is dropped for a loaded machine's pause.
  server = await ServeProcess.start([
    '--policy',
    run,
    '--bind',
    `tcp://127.0.0.1:${await freePort()}`,
    '--record',
    recordings,
    '--allow-deploy',
    '--stats-every',
    '1',
    '--heartbeat-ms',
    '2500',
  ]);
});

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('serve + robot emulate', () => {
  it('runs episodes on the emulated robot; the report has success with its 95% interval; the server records them with source real', async () => {
    const r = await sim2real([
      'robot',
      'emulate',
      '--scenario',
      SCENARIO,
      '--reality',
      REALITY,
      '--connect',
      server.endpoint,
      '--episodes',
      '4',
      '--deadline-ms',
      '5000',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep).toMatchObject({
      scenario: 'navigate-obstacles',
      reality: 'navigate-obstacles-real',
      episodes: 4,
      policyVersions: [1],
      overrunFraction: null,
      startLagMs: null,
    });
    expect(rep.successRate).toBe(rep.successes / 4);
    const [lo, hi] = wilson95(rep.successes, 4);
    expect(rep.successCi95[0]).toBeCloseTo(lo, 12);
    expect(rep.successCi95[1]).toBeCloseTo(hi, 12);
    expect(rep.meanLength).toBe(rep.steps / 4);
    expect(rep.latencyMs.p50).toBeGreaterThan(0);

    // The session's file is complete once the server has seen the robot's bye.
    await server.logged(/robot emulated-navigate-obstacles left \(said bye\)/);
    const policyId = JSON.parse(readFileSync(join(run, 'policy', 'policy.json'), 'utf8')).id;
    let episodes: Awaited<ReturnType<typeof readEpisodes>>['episodes'] = [];
    for (const t0 = Date.now(); Date.now() - t0 < 60_000; await new Promise((res) => setTimeout(res, 50))) {
      episodes = (await readEpisodes(recordings)).episodes;
      if (episodes.length === 4 && episodes.every((e) => e.end)) break;
    }
    expect(readdirSync(recordings).filter((f) => f.endsWith('.mcap'))).toHaveLength(1);
    expect(episodes.map((e) => e.start.index)).toEqual([0, 1, 2, 3]);
    for (const e of episodes) {
      expect(e.start).toMatchObject({
        source: 'real',
        scenario: 'navigate-obstacles',
        policyId,
        controlHz: 10,
        seed: e.start.index,
        contract: navScenario.contract,
      });
      expect(e.start.randomization).toMatchObject({
        robot_id: 'emulated-navigate-obstacles',
        reality: 'navigate-obstacles-real',
      });
      expect(e.steps).toHaveLength(e.end!.length);
    }
    expect(episodes.filter((e) => e.end!.success)).toHaveLength(rep.successes);
    expect(episodes.reduce((n, e) => n + e.steps.length, 0)).toBe(rep.steps);
    expect(episodes.reduce((x, e) => x + e.end!.return, 0) / 4).toBeCloseTo(rep.meanReturn, 6);
  });

  it('a MuJoCo reality: robot emulate runs its episodes against the server, eval --reality on 2 workers scores the policy there', async () => {
    const mj = 'scenarios/reality/navigate-obstacles-mujoco.yaml';
    const r = await sim2real([
      'robot',
      'emulate',
      '--scenario',
      SCENARIO,
      '--reality',
      mj,
      '--connect',
      server.endpoint,
      '--episodes',
      '2',
      '--deadline-ms',
      '5000',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep).toMatchObject({ scenario: 'navigate-obstacles', reality: 'navigate-obstacles-mujoco', episodes: 2 });
    expect(rep.steps).toBeGreaterThan(0);
    const ev = await sim2real([
      'eval',
      '--policy',
      run,
      '--scenario',
      SCENARIO,
      '--reality',
      mj,
      '--episodes',
      '4',
      '--workers',
      '2',
      '--json',
    ]);
    expect(ev.stderr).toBe('');
    expect(ev.code).toBe(0);
    expect(JSON.parse(ev.stdout)).toMatchObject({ episodes: 4 });
  });

  it('--realtime keeps the control loop on the wall clock and reports its overruns', async () => {
    // navigate-obstacles at 50 Hz (the same physics step), 20-step episodes.
    const text = readFileSync(SCENARIO, 'utf8')
      .replace(/rate_hz: 10\b/, 'rate_hz: 50')
      .replace(/substeps: 10\b/, 'substeps: 2')
      .replace(/max_steps: 400\b/, 'max_steps: 20');
    const variant = join(dir, 'navigate-50hz.yaml');
    writeFileSync(variant, text);
    expect(loadScenario(variant).control.rate_hz).toBe(50);
    // A deadline a loaded machine does not miss: a robot that gave up on its server would reconnect, and its dropped connection would be logged.
    const r = await sim2real([
      'robot',
      'emulate',
      '--scenario',
      variant,
      '--reality',
      REALITY,
      '--connect',
      server.endpoint,
      '--episodes',
      '2',
      '--realtime',
      '--deadline-ms',
      '5000',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.episodes).toBe(2);
    expect(rep.overrunFraction).toBeGreaterThanOrEqual(0);
    expect(rep.overrunFraction).toBeLessThanOrEqual(1);
    expect(rep.startLagMs.p50).toBeGreaterThanOrEqual(0);
    expect(rep.startLagMs.p50).toBeLessThanOrEqual(rep.startLagMs.p99);
    expect(rep.startLagMs.p99).toBeLessThanOrEqual(rep.startLagMs.max);
    // Paced, not lock-step: step k of an episode starts no earlier than k - 1/2 periods (the most the
    // profile's jitter may move it) after the episode's first step.
    const lengths = rep.steps;
    expect(rep.seconds).toBeGreaterThanOrEqual(((lengths - 2 * 1.5) * 20) / 1000);
  });
});

describe('stats', () => {
  it("sim2real stats reads a running server's figures (exit 0); a port where nothing serves is reported in one line, exit 1", async () => {
    const r = await sim2real(['stats', '--server', server.endpoint, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      type: 'stats',
      policy_version: expect.any(Number),
      errors: expect.any(Number),
      sessions: expect.any(Array),
    });
    const none = await sim2real(['stats', '--server', `tcp://127.0.0.1:${await freePort()}`, '--timeout-ms', '300']);
    expect(none.code).toBe(1);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
    expect(none.stderr).toMatch(/no stats answer within 300 ms \(not serving\)/);
  });
});

describe('deploy', () => {
  it('hands over a good policy: the next actions carry the new version and come from it; bad checkpoints are refused and the policy keeps serving', async () => {
    const next = await tinyCheckpoint(deployed, 'deployed-b', 0.5);
    const client = await RobotClient.connect({
      server: server.endpoint,
      robotId: 'watcher',
      contract: navScenario.contract,
      safeAction: navScenario.safe_action,
      deadlineMs: 10_000,
    });
    try {
      const obs = Float32Array.from({ length: 29 }, (_, i) => (i % 7) / 4);
      const before = await client.act(0, 0, obs);
      expect(before.policyVersion).toBe(1);

      const d = await sim2real(['deploy', '--policy', deployed, '--server', server.endpoint, '--json']);
      expect(d.stderr).toBe('');
      expect(d.code).toBe(0);
      expect(JSON.parse(d.stdout)).toEqual({ policyId: 'deployed-b', policyVersion: 2 });
      const expected = Array.from(next.act(obs));
      const after = await client.act(0, 1, obs);
      expect(after).toMatchObject({ missed: false, policyId: 'deployed-b', policyVersion: 2 });
      expect(Array.from(after.action)).toEqual(expected);
      expect(Array.from(after.action)).not.toEqual(Array.from(before.action));

      // A corrupt checkpoint: weights.bin cut short. `deploy` checks it before sending.
      const corrupt = join(dir, 'corrupt');
      cpSync(deployed, corrupt, { recursive: true });
      truncateSync(join(corrupt, 'weights.bin'), 100);
      const c = await sim2real(['deploy', '--policy', corrupt, '--server', server.endpoint]);
      expect(c.code).toBe(2);
      expect(c.stderr.trim().split('\n')).toHaveLength(1);
      expect(c.stderr).toMatch(/^sim2real: error: .*corrupt\/weights\.bin: expected \d+ bytes .*got 100/);

      // A checkpoint for another robot: the contract differs.
      const grasp = join(dir, 'grasp');
      await tinyCheckpoint(grasp, 'grasp-policy', 0, loadScenario('scenarios/grasp-cube.yaml'));
      const g = await sim2real(['deploy', '--policy', grasp, '--server', server.endpoint]);
      expect(g.code).toBe(2);
      expect(g.stderr.trim().split('\n')).toHaveLength(1);
      expect(g.stderr).toMatch(
        /deploy refused, deployed-b keeps serving: the checkpoint: the policy's contract does not match the policy being served: obs\[0\]: expected component "lidar", got "joint_pos"/,
      );

      const still = await client.act(0, 2, obs);
      expect(still).toMatchObject({ missed: false, policyId: 'deployed-b', policyVersion: 2 });
      expect(Array.from(still.action)).toEqual(expected);
      await server.logged(/deploy refused: .*contract does not match/);
      // --stats-every 1: the health line counts what this test did.
      await server.logged(/stats: 1 robot\(s\), \d+ actions .*policy deployed-b v2/);
      expect(server.child.exitCode).toBeNull();
    } finally {
      await client.close();
    }
    // Deploy clients and a robot that said bye close their connections: normal, not logged as drops.
    await server.logged(/robot watcher left \(said bye\)/);
    // An unexplained close would be logged after the server's 1 s grace.
    await new Promise((res) => setTimeout(res, 1500));
    expect(server.stderr).not.toMatch(/was closed/);
    // The checkpoint on disk is the one that was deployed.
    expect((await loadCheckpoint(deployed)).file.id).toBe('deployed-b');
  });
});
