/**
 * Recording served episodes (docs/protocol.md "Session" 4): MCAP with `source: real`, one file per
 * server run for all its robots, steps with obs / action / applied action / reward / latency,
 * readable with readEpisodes; an episode cut short by a vanished robot is counted incomplete; obs
 * outside the contract's range are counted; the rest of an episode begun on another server is
 * recorded as partial.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PolicyServer, type PolicyServerOptions } from '../../src/bridge/server.js';
import { RobotClient, type RobotClientOptions } from '../../src/bridge/robot-client.js';
import { NOMINAL_CONTROL_HZ } from '../../src/bridge/served-episodes.js';
import { readEpisodes } from '../../src/episodes/reader.js';
import type { GaussianMlpPolicy } from '../../src/policy/models/gaussian-policy.js';
import { PATIENT, RawPeer, f32, freePort, navScenario, tinyPolicy, until } from './fixtures.js';

const contract = navScenario.contract;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Within every component's range (the contract's low/high), so that no episode is flagged. */
const obsAt = (episode: number, step: number) =>
  Float32Array.from({ length: 29 }, (_, i) => ((episode * 5 + step * 3 + i) % 13) / 13);

let dir: string;
let policy: GaussianMlpPolicy;
let log: string[];
const cleanups: (() => Promise<void> | void)[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sim2real-rec-'));
  policy = await tinyPolicy();
  log = [];
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

async function serve(opts: Partial<PolicyServerOptions> = {}): Promise<PolicyServer> {
  const s = await PolicyServer.start({
    bind: `tcp://127.0.0.1:${await freePort()}`,
    policy,
    recordDir: dir,
    scenario: { name: navScenario.name, controlHz: navScenario.control.rate_hz },
    log: (l) => log.push(l),
    ...PATIENT,
    ...opts,
  });
  cleanups.push(() => s.close());
  return s;
}

async function robot(server: PolicyServer, extra: Partial<RobotClientOptions> = {}): Promise<RobotClient> {
  const c = await RobotClient.connect({
    server: server.endpoint,
    robotId: 'rec-bot',
    contract,
    safeAction: navScenario.safe_action,
    deadlineMs: 5000,
    ...extra,
  });
  cleanups.push(() => c.close());
  return c;
}

/** Run one episode of `n` steps; the applied action is the received one halved (so it differs visibly). */
async function episode(
  c: RobotClient,
  index: number,
  n: number,
  end = true,
): Promise<{ actions: Float32Array[]; applied: Float32Array[] }> {
  await c.startEpisode(index, 1000 + index, { friction_scale: 0.9, note: 'bench test' });
  const actions: Float32Array[] = [];
  const applied: Float32Array[] = [];
  let prev: Parameters<RobotClient['act']>[3];
  for (let step = 0; step < n; step++) {
    const r = await c.act(index, step, obsAt(index, step), prev);
    expect(r.missed).toBe(false);
    actions.push(Float32Array.from(r.action));
    applied.push(r.action.map((v) => v / 2));
    prev = { reward: step + 0.5, terminated: false, truncated: false, applied: applied[step] };
  }
  if (end)
    await c.endEpisode({
      episode: index,
      success: index % 2 === 0,
      terminated: index % 2 === 0,
      truncated: index % 2 === 1,
      reward: n - 1 + 0.5,
      return: 123.25,
      length: n,
    });
  return { actions, applied };
}

/**
 * Everything the server wrote, once it has closed its files. By default first waits until every
 * robot has said bye (a server closing drops what arrives meanwhile).
 */
async function recorded(server: PolicyServer, waitForByes = true) {
  if (waitForByes) await until(() => server.stats().robots === 0);
  await server.close();
  return readEpisodes(dir);
}

describe('closing connections', () => {
  it('robots recording episodes that say bye together are not logged as dropped connections', async () => {
    const server = await serve();
    const clients = await Promise.all([0, 1, 2, 3].map((i) => robot(server, { robotId: `rec-bot-${i}` })));
    await Promise.all(clients.map((c, i) => episode(c, i, 3)));
    await Promise.all(clients.map((c) => c.close()));
    await until(() => server.stats().robots === 0);
    // Longer than the server's grace for matching a close with its bye.
    await sleep(1500);
    expect(log.filter((l) => /was closed/.test(l))).toEqual([]);
  });
});

describe('recording served episodes', () => {
  it('writes each episode with source real, the contract, and every step (obs, action, applied, reward, latency)', async () => {
    const server = await serve();
    const c = await robot(server);
    const e0 = await episode(c, 0, 8);
    const e1 = await episode(c, 1, 5);
    await c.close();
    const { files, episodes } = await recorded(server);
    expect(files).toHaveLength(1);
    expect(files[0].path).toMatch(/\/served-[\dT-]+Z?\.mcap$/);
    expect(files[0].incompleteEpisodes).toBe(0);
    expect(episodes).toHaveLength(2);
    const [a, b] = episodes;
    expect(a.start).toMatchObject({
      index: 0,
      source: 'real',
      scenario: navScenario.name,
      task: 'real',
      seed: 1000,
      policyId: 'tiny',
      controlHz: 10,
      contract,
    });
    expect(a.start.randomization).toEqual({
      robot_id: 'rec-bot',
      robotEpisode: 0,
      session: c.session,
      friction_scale: 0.9,
      note: 'bench test',
    });
    expect(a.end).toMatchObject({
      event: 'end',
      index: 0,
      success: true,
      return: 123.25,
      length: 8,
      terminated: true,
      truncated: false,
      obsOutOfRange: { steps: 0, values: 0 },
    });
    expect(b.end).toMatchObject({ index: 1, success: false, length: 5, terminated: false, truncated: true });
    for (const [ep, sent] of [
      [a, e0],
      [b, e1],
    ] as const) {
      expect(ep.steps).toHaveLength(sent.actions.length);
      ep.steps.forEach((s, k) => {
        expect(s.step).toBe(k);
        // Seconds since the episode start on the server's clock (when it received the obs), not k / rate.
        expect(s.time).toBeGreaterThanOrEqual(k > 0 ? ep.steps[k - 1].time : 0);
        expect(Array.from(s.obs)).toEqual(Array.from(obsAt(ep.start.index, k)));
        expect(Array.from(s.action)).toEqual(Array.from(sent.actions[k]));
        expect(Array.from(s.action)).toEqual(Array.from(policy.act(s.obs)));
        // The applied action of step k comes with obs k+1; the last step has none (recorded as sent).
        expect(Array.from(s.appliedAction)).toEqual(
          Array.from(k < sent.actions.length - 1 ? sent.applied[k] : sent.actions[k]),
        );
        expect(s.reward).toBe(k + 0.5);
        // The policy's compute time in ms (not a timestamp, not µs): a busy machine may stretch it, not by seconds.
        expect(s.latencyMs).toBeGreaterThanOrEqual(0);
        expect(s.latencyMs).toBeLessThan(10_000);
      });
    }
  });

  it('writes one file per server run: two robots, and one robot reconnecting, in one file, told apart by robot and robotEpisode', async () => {
    const server = await serve();
    const c1 = await robot(server, { robotId: 'alpha' });
    const c2 = await robot(server, { robotId: 'beta' });
    await Promise.all([episode(c1, 0, 3), episode(c2, 0, 4)]);
    await c1.close();
    await until(() => server.stats().robots === 1);
    const again = await robot(server, { robotId: 'alpha' });
    await episode(again, 1, 2);
    await Promise.all([again.close(), c2.close()]);
    const { files, episodes } = await recorded(server);
    expect(files).toHaveLength(1);
    expect(readdirSync(dir)).toHaveLength(1);
    const seen = files[0].episodes
      .map((e) => `${e.start.randomization.robot_id}:${e.start.randomization.robotEpisode}:${e.steps.length}`)
      .sort();
    expect(seen).toEqual(['alpha:0:3', 'alpha:1:2', 'beta:0:4']);
    expect(new Set(episodes.map((e) => e.start.index)).size).toBe(3);
    expect(episodes.every((e) => e.end && e.start.source === 'real')).toBe(true);
  });

  it('counts observations outside the contract range per episode (served all the same), and leaves no file when nothing was recorded', async () => {
    const empty = await serve();
    const idle = await robot(empty, { robotId: 'idle' });
    expect((await idle.act(0, 0, obsAt(0, 0))).missed).toBe(false);
    await idle.close();
    await recorded(empty);
    expect(readdirSync(dir)).toEqual([]);

    const server = await serve();
    const c = await robot(server, { robotId: 'wild' });
    await c.startEpisode(0);
    for (let step = 0; step < 4; step++) {
      const obs = obsAt(0, step);
      if (step === 2) obs[25] = 3; // goal_dir[0], range [-1, 1]
      if (step === 3) [obs[0], obs[1]] = [-0.5, 7]; // lidar, range [0, 3]
      expect((await c.act(0, step, obs)).missed).toBe(false);
    }
    await c.endEpisode({ episode: 0, success: true, terminated: true, truncated: false });
    await c.close();
    const { episodes } = await recorded(server);
    expect(episodes[0].end!.obsOutOfRange).toEqual({
      steps: 2,
      values: 3,
      first: { step: 2, component: 'goal_dir', index: 0, value: 3 },
    });
  });

  it('records the rest of an episode begun on a server that went away as partial (flagged)', async () => {
    const first = await serve({ recordDir: undefined });
    const raw = new RawPeer(first.endpoint);
    cleanups.push(() => raw.close());
    const w = await raw.hello(contract, { robot_id: 'mover' });
    await first.close();
    const second = await serve();
    const again = new RawPeer(second.endpoint);
    cleanups.push(() => again.close());
    const w2 = await again.hello(contract, { robot_id: 'mover', resume: w.session });
    expect([w2.type, w2.resumed]).toEqual(['welcome', false]);
    for (let step = 40; step < 44; step++) {
      await again.send({
        type: 'obs',
        episode: 3,
        step,
        obs: f32(obsAt(3, step)),
        ...(step > 40 ? { reward: 1, terminated: false, truncated: false } : {}),
      });
      await again.next((m) => m.type === 'action');
    }
    await again.send({ type: 'episode_end', episode: 3, success: true, terminated: true, truncated: false, reward: 1 });
    await again.send({ type: 'bye' });
    const { episodes } = await recorded(second);
    expect(episodes).toHaveLength(1);
    expect(episodes[0].start.randomization).toMatchObject({
      robot_id: 'mover',
      robotEpisode: 3,
      resumed_from_step: 40,
    });
    expect(episodes[0].steps.map((s) => s.step)).toEqual([40, 41, 42, 43]);
    expect(episodes[0].end).toMatchObject({ success: true, partial: { fromStep: 40 } });
  });

  it('counts an episode cut by a vanished robot as incomplete (dropped after heartbeat_ms × liveness)', async () => {
    // A 2 s window: the robot is dropped for its silence after it left, not for a loaded machine's pause while it runs.
    const server = await serve({ heartbeatMs: 200, liveness: 10 });
    const raw = new RawPeer(server.endpoint, { routingId: 'vanishing' });
    cleanups.push(() => raw.close());
    expect((await raw.hello(contract, { robot_id: 'vanishing' })).type).toBe('welcome');
    // One complete episode first, then one that the robot never finishes.
    for (const [ep, steps, finish] of [
      [0, 3, true],
      [1, 5, false],
    ] as const) {
      await raw.send({ type: 'episode_start', episode: ep, seed: 7 });
      for (let step = 0; step < steps; step++) {
        await raw.send({
          type: 'obs',
          episode: ep,
          step,
          obs: f32(obsAt(ep, step)),
          ...(step > 0 ? { reward: 1, terminated: false, truncated: false } : {}),
        });
        await raw.next((m) => m.type === 'action');
      }
      if (finish)
        await raw.send({
          type: 'episode_end',
          episode: ep,
          success: true,
          terminated: true,
          truncated: false,
          reward: 1,
        });
    }
    await raw.close(); // gone without bye
    await until(() => log.some((l) => /robot vanishing left \(silent for/.test(l)));
    const { files, episodes } = await recorded(server);
    expect(files).toHaveLength(1);
    expect(files[0].incompleteEpisodes).toBe(1);
    expect(episodes.map((e) => [e.start.index, !!e.end])).toEqual([
      [0, true],
      [1, false],
    ]);
    expect(episodes[0].steps).toHaveLength(3);
    // The last observation's outcome never arrived: the 4 steps before it are recorded.
    expect(episodes[1].steps).toHaveLength(4);
    expect(episodes[1].steps.every((s) => s.reward === 1 && s.latencyMs! >= 0)).toBe(true);
  });

  it('leaves the open episode incomplete on bye, on server shutdown, and when a new episode starts without an end', async () => {
    const server = await serve();
    const c = await robot(server, { robotId: 'quitter' });
    await episode(c, 0, 3, false);
    await c.close(); // bye mid-episode
    await until(() => server.stats().robots === 0);

    const d = await robot(server, { robotId: 'restarter' });
    await episode(d, 0, 3, false); // the robot's loop restarts without ending episode 0...
    await episode(d, 1, 2); // ...episode 1 runs to its end...
    await episode(d, 2, 2, false); // ...and episode 2 is open when the server shuts down.
    const { files, episodes } = await recorded(server, false);
    expect(files).toHaveLength(1);
    const summary = files[0].episodes.map(
      (e) => `${e.start.randomization.robot_id}:${e.start.randomization.robotEpisode}${e.end ? '' : ' (incomplete)'}`,
    );
    expect(summary).toEqual([
      'quitter:0 (incomplete)',
      'restarter:0 (incomplete)',
      'restarter:1',
      'restarter:2 (incomplete)',
    ]);
    expect(episodes.filter((e) => !e.end)).toHaveLength(3);
  });

  it('records the control rate from the server scenario, else from hello.control_hz, else a nominal rate (logged)', async () => {
    const server = await serve({ scenario: undefined });
    const fast = await robot(server, { robotId: 'fast', controlHz: 50 });
    await episode(fast, 0, 2);
    const unknown = await robot(server, { robotId: 'unknown' });
    await episode(unknown, 0, 2);
    await Promise.all([fast.close(), unknown.close()]);
    const { episodes } = await recorded(server);
    const hz = Object.fromEntries(episodes.map((e) => [e.start.randomization.robot_id as string, e.start.controlHz]));
    expect(hz).toEqual({ fast: 50, unknown: NOMINAL_CONTROL_HZ });
    expect(episodes.every((e) => e.start.scenario === 'unknown' && e.end)).toBe(true);
    expect(log.some((l) => /recording unknown: control rate unknown/.test(l))).toBe(true);
    expect(
      log.filter((l) => /^error /.test(l)),
      log.join('\n'),
    ).toEqual([]);
  });

  it('serves but does not record observations outside an announced episode', async () => {
    const server = await serve();
    const c = await robot(server, { robotId: 'loose' });
    for (let step = 0; step < 3; step++) expect((await c.act(0, step, obsAt(0, step))).missed).toBe(false);
    await episode(c, 1, 2);
    await c.close();
    const { episodes } = await recorded(server);
    expect(episodes.map((e) => [e.start.randomization.robotEpisode, e.steps.length, !!e.end])).toEqual([[1, 2, true]]);
  });
});
