/**
 * Resilience of the bridge (docs/protocol.md "Session" 4–5): a server restart under a running robot,
 * liveness on both sides, and many robots served in parallel with their own episode bookkeeping.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as zmq from 'zeromq';
import { PolicyServer, type PolicyServerOptions } from '../../src/bridge/server.js';
import { RobotClient, type RobotClientOptions } from '../../src/bridge/robot-client.js';
import { readEpisodes } from '../../src/episodes/reader.js';
import { PATIENT, RawPeer, f32, freePort, msgpack, navScenario, tinyPolicy, until } from './fixtures.js';

const contract = navScenario.contract;
const safe = navScenario.safe_action;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const obsFor = (a: number, b = 0) => Float32Array.from({ length: 29 }, (_, i) => ((a * 7 + b * 3 + i) % 17) / 10);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Start a server, retrying the bind for up to 10 s (the port of a just-closed server may still be busy). */
async function serve(opts: PolicyServerOptions): Promise<PolicyServer> {
  for (let attempt = 0; ; attempt++) {
    try {
      const s = await PolicyServer.start(opts);
      cleanups.push(() => s.close());
      return s;
    } catch (e) {
      if (attempt >= 200) throw e;
      await sleep(50);
    }
  }
}

async function robot(opts: Partial<RobotClientOptions> & { server: string }): Promise<RobotClient> {
  const c = await RobotClient.connect({ robotId: 'r', contract, safeAction: safe, deadlineMs: 5000, ...opts });
  cleanups.push(() => c.close());
  return c;
}

describe('server restart', () => {
  it('the robot gets the safe action while the server is down, then reconnects by itself and is served again', async () => {
    const bind = `tcp://127.0.0.1:${await freePort()}`;
    const policy = await tinyPolicy();
    // A 5 s liveness window: the robot gives the server up after maxMisses missed deadlines, as under test here.
    const first = await serve({ bind, policy, heartbeatMs: 100, liveness: 50 });
    const log: string[] = [];
    const c = await robot({
      server: bind,
      deadlineMs: 500,
      maxMisses: 3,
      backoffMs: [20, 200],
      log: (l) => log.push(l),
    });
    const o = obsFor(1);
    expect((await c.act(0, 0, o)).missed).toBe(false);

    await first.close();
    const down = [];
    for (let step = 1; step <= 6; step++) down.push(await c.act(0, step, o));
    for (const r of down) {
      expect(r.missed).toBe(true);
      expect(Array.from(r.action)).toEqual(safe);
      expect(r.latencyMs).toBeNaN();
    }
    // After maxMisses consecutive misses the robot holds the safe action (without waiting out deadlines).
    expect(down.slice(0, 2).every((r) => !r.holding)).toBe(true);
    expect(down.slice(2).every((r) => r.holding)).toBe(true);
    expect(c.missedSteps).toBe(6);
    expect(c.connected).toBe(false);
    expect(log.some((l) => /holding the safe action/.test(l))).toBe(true);

    // Down for a while: the robot keeps retrying (with backoff) and keeps answering safe.
    await sleep(300);
    expect((await c.act(0, 7, o)).missed).toBe(true);

    const second = await serve({ bind, policy, heartbeatMs: 100, liveness: 50 });
    // Backoff capped at 200 ms, 500 ms for each welcome: back within a second when all is well. A
    // robot that gave up, or waited for a longer backoff than it was told, is not back in 10 s.
    await until(() => c.connected, 10_000, 'the robot reconnects by itself');
    expect(c.reconnects).toBe(1);
    expect(second.stats().robots).toBe(1);
    const back = [];
    for (let step = 8; step < 16; step++) back.push(await c.act(0, step, o));
    // Served again (a loaded machine may still miss a deadline here and there).
    expect(back.filter((r) => !r.missed).length).toBeGreaterThanOrEqual(6);
    for (const r of back.filter((r) => !r.missed)) {
      expect(r.holding).toBe(false);
      expect(Array.from(r.action)).toEqual(Array.from(policy.act(o)));
    }
  });

  it('a server that is never restarted: the robot holds safe and keeps trying without piling up', async () => {
    const bind = `tcp://127.0.0.1:${await freePort()}`;
    const server = await serve({ bind, policy: await tinyPolicy(), heartbeatMs: 50 });
    const c = await robot({ server: bind, deadlineMs: 20, maxMisses: 2, backoffMs: [10, 50] });
    await server.close();
    for (let step = 0; step < 20; step++) {
      const r = await c.act(0, step, obsFor(step));
      expect(r.missed).toBe(true);
      expect(Array.from(r.action)).toEqual(safe);
    }
    expect(c.holding).toBe(true);
    expect(c.reconnects).toBe(0);
  });
});

describe('liveness', () => {
  it('the server drops a robot silent for heartbeat_ms × liveness, and keeps one that only heartbeats', async () => {
    const log: string[] = [];
    // A 2 s window: the robot that heartbeats keeps its session even when a loaded machine holds it back for a second.
    const server = await serve({
      bind: `tcp://127.0.0.1:${await freePort()}`,
      policy: await tinyPolicy(),
      heartbeatMs: 200,
      liveness: 10,
      log: (l) => log.push(l),
    });
    const idle = await robot({ server: server.endpoint, robotId: 'idle' });
    const raw = new RawPeer(server.endpoint);
    cleanups.push(() => raw.close());
    const w = await raw.hello(contract);
    expect(w).toMatchObject({ type: 'welcome', protocol: 1, heartbeat_ms: 200, liveness: 10, policy_version: 1 });
    // Taken before the server hears the robot for the last time: its silence is at most this long.
    const t0 = Date.now();
    await raw.send({ type: 'obs', episode: 0, step: 0, obs: f32(obsFor(0)) });
    await raw.next((m) => m.type === 'action');
    expect(server.stats().robots).toBe(2);

    // The server heartbeats the silent robot while it waits.
    await raw.next((m) => m.type === 'heartbeat');
    await until(() => log.some((l) => /robot raw left \(silent for \d+ ms\)/.test(l)));
    const dropped = Date.now() - t0;
    // Silent for more than 2 s, noticed at the next 200 ms tick (with seconds of slack for a loaded machine).
    expect(dropped).toBeGreaterThanOrEqual(2000 - 10);
    expect(dropped).toBeLessThan(2000 + 200 + 5000);
    expect(server.stats().robots).toBe(1);

    // Its session is gone; the robot that only sent heartbeats for as long is still served.
    await raw.send({ type: 'obs', episode: 0, step: 1, obs: f32(obsFor(0)) });
    expect(await raw.error()).toMatchObject({ code: 'no_session', fatal: true });
    await sleep(150);
    const r = await idle.act(0, 0, obsFor(0));
    expect(r.missed).toBe(false);
    expect(idle.reconnects).toBe(0);
  });

  it('a robot whose server goes silent holds the safe action and says hello again', async () => {
    // A fake server that welcomes the first hello and then never says anything again.
    const router = new zmq.Router({ linger: 0 });
    const port = await freePort();
    await router.bind(`tcp://127.0.0.1:${port}`);
    const hellos: number[] = [];
    const sockets = new Map<string, number>(); // routing id → time of its first hello
    const loop = (async () => {
      try {
        for await (const [id, frame] of router) {
          const m = msgpack.unpack(frame) as { type: string };
          if (m.type !== 'hello') continue;
          hellos.push(Date.now());
          if (!sockets.has(id.toString('hex'))) sockets.set(id.toString('hex'), Date.now());
          if (hellos.length === 1) {
            const welcome = {
              type: 'welcome',
              seq: 1,
              time: Date.now() / 1000,
              protocol: 1,
              session: 's',
              policy_id: 'fake',
              policy_version: 1,
              heartbeat_ms: 40,
              liveness: 3,
            };
            await router.send([id, msgpack.pack(welcome)]);
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
    const log: string[] = [];
    // Taken before the welcome: the server is silent for at least as long as the robot waited since.
    const t0 = Date.now();
    const c = await robot({
      server: `tcp://127.0.0.1:${port}`,
      deadlineMs: 20,
      backoffMs: [20, 100],
      log: (l) => log.push(l),
    });
    expect(c.connected).toBe(true);
    await until(() => !c.connected, undefined, 'the robot notices the silent server');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(120 - 10);
    expect(c.holding).toBe(true);
    expect(log.some((l) => /lost the server \(no word from the server/.test(l))).toBe(true);
    const r = await c.act(0, 0, obsFor(0));
    expect(r).toMatchObject({ missed: true, holding: true });
    expect(Array.from(r.action)).toEqual(safe);
    await until(() => hellos.length >= 2, undefined, 'a second hello');
    // Each reconnection attempt is a fresh socket, given at least 500 ms for a welcome plus the
    // backoff delay: attempts do not hammer a dead server. The hellos are timed where they arrive,
    // which a loaded machine may delay by a few hundred ms; hammering would space them by the
    // backoff alone (20-40 ms).
    await until(() => sockets.size >= 3, undefined, 'two reconnection attempts');
    const starts = [...sockets.values()];
    expect(starts[2] - starts[1]).toBeGreaterThanOrEqual(250);
  });
});

describe('many robots', () => {
  it('8 robots in parallel, 50 steps each over 2 episodes, each with its own episodes and actions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim2real-many-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const policy = await tinyPolicy();
    const server = await serve({
      bind: `tcp://127.0.0.1:${await freePort()}`,
      policy,
      recordDir: dir,
      scenario: { name: navScenario.name, controlHz: 10 },
      ...PATIENT,
    });
    const N = 8;
    const clients = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        RobotClient.connect({
          server: server.endpoint,
          robotId: `robot-${i}`,
          contract,
          safeAction: safe,
          deadlineMs: 5000,
        }),
      ),
    );
    expect(server.stats().robots).toBe(N);
    const runs = await Promise.all(
      clients.map(async (c, i) => {
        let missed = 0;
        let wrong = 0;
        for (let episode = 0; episode < 2; episode++) {
          await c.startEpisode(episode, 100 * i + episode);
          let prev: Parameters<RobotClient['act']>[3];
          for (let step = 0; step < 25; step++) {
            const obs = obsFor(i, episode * 25 + step);
            const r = await c.act(episode, step, obs, prev);
            if (r.missed) missed++;
            else if (Array.from(r.action).join() !== Array.from(policy.act(obs)).join()) wrong++;
            prev = { reward: i + step / 100, terminated: false, truncated: step === 24, applied: r.action };
          }
          await c.endEpisode({ episode, success: i % 2 === 0, terminated: false, truncated: true, reward: i + 0.24 });
        }
        return { missed, wrong };
      }),
    );
    expect(runs).toEqual(Array.from({ length: N }, () => ({ missed: 0, wrong: 0 })));
    expect(server.stats().actions).toBe(N * 50);
    await Promise.all(clients.map((c) => c.close()));
    await until(() => server.stats().robots === 0);
    await server.close();

    const { files, episodes } = await readEpisodes(dir);
    // One file for the server run, the robots' episodes interleaved in it.
    expect(files).toHaveLength(1);
    expect(episodes).toHaveLength(2 * N);
    for (let i = 0; i < N; i++) {
      const mine = episodes.filter((e) => e.start.randomization.robot_id === `robot-${i}`);
      expect(mine.map((e) => e.start.randomization.robotEpisode)).toEqual([0, 1]);
      for (const e of mine) {
        expect(e.start.source).toBe('real');
        const ep = e.start.randomization.robotEpisode as number;
        expect(e.start.seed).toBe(100 * i + ep);
        expect(e.end).toMatchObject({ success: i % 2 === 0, length: 25, truncated: true });
        expect(e.steps).toHaveLength(25);
        e.steps.forEach((s, k) => {
          expect(s.step).toBe(k);
          expect(Array.from(s.obs)).toEqual(Array.from(obsFor(i, ep * 25 + k)));
          expect(Array.from(s.action)).toEqual(Array.from(policy.act(s.obs)));
          expect(s.reward).toBeCloseTo(k < 24 ? i + k / 100 : i + 0.24, 6);
        });
      }
    }
  });
});
