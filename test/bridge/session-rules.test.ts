/**
 * The server's session rules (docs/protocol.md "Ids and steps", "Sessions and connections", "Stats",
 * "Deploy rights"): step order, id ranges, duplicate robot ids, resuming a session on a new
 * connection, the stats request, a bounded backlog, deploy rights and what happens when the loop
 * itself fails. Each bad input: the server survives, the message is clear, other robots go on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as zmq from 'zeromq';
import { Packr } from 'msgpackr';
import { PolicyServer, type PolicyServerOptions } from '../../src/bridge/server.js';
import { RobotClient } from '../../src/bridge/robot-client.js';
import { encode } from '../../src/bridge/codec.js';
import { deployTo } from '../../src/bridge/deploy.js';
import { checkpointLoader } from '../../src/bridge/served-policy.js';
import { InputError } from '../../src/errors.js';
import type { Policy } from '../../src/policy/models/policy.js';
import {
  EVENT_MS,
  PATIENT,
  RawPeer,
  f32,
  freePort,
  navScenario,
  tinyCheckpoint,
  tinyPolicy,
  until,
} from './fixtures.js';

const contract = navScenario.contract;
const OBS = 29;
const obsBytes = (v = 0.5) => f32(new Float32Array(OBS).fill(v));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(opts: Partial<PolicyServerOptions> = {}): Promise<{ server: PolicyServer; log: string[] }> {
  const log: string[] = [];
  const server = await PolicyServer.start({
    bind: `tcp://127.0.0.1:${await freePort()}`,
    policy: await tinyPolicy(),
    log: (l) => log.push(l),
    ...PATIENT,
    ...opts,
  });
  cleanups.push(() => server.close());
  return { server, log };
}

function peer(endpoint: string, opts: ConstructorParameters<typeof RawPeer>[1] = {}): RawPeer {
  const p = new RawPeer(endpoint, opts);
  cleanups.push(() => p.close());
  return p;
}

describe('step order', () => {
  it('serves steps 0, 1, 5 and refuses a repeated or backwards step (0,1,1,0,5,2) with bad_step', async () => {
    const { server, log } = await serve();
    const p = peer(server.endpoint);
    expect((await p.hello(contract)).type).toBe('welcome');
    const answers: Record<string, unknown>[] = [];
    for (const step of [0, 1, 1, 0, 5, 2]) {
      const seq = await p.send({ type: 'obs', episode: 0, step, obs: obsBytes() });
      answers.push(await p.next((m) => m.reply_to === seq));
    }
    expect(answers.map((a) => (a.type === 'action' ? `a${a.step}` : a.code))).toEqual([
      'a0',
      'a1',
      'bad_step',
      'bad_step',
      'a5',
      'bad_step',
    ]);
    expect(answers[2].message).toMatch(/step: expected more than 1 in episode 0 .*got 1/);
    expect(answers[2].fatal).toBe(false);
    expect(log.some((l) => /error bad_step from raw: step/.test(l))).toBe(true);
    // Episodes never go back; a later one starts over at any step.
    const next = await p.send({ type: 'obs', episode: 1, step: 0, obs: obsBytes() });
    expect((await p.next((m) => m.reply_to === next)).type).toBe('action');
    const old = await p.send({ type: 'obs', episode: 0, step: 6, obs: obsBytes() });
    expect((await p.next((m) => m.reply_to === old)).message).toMatch(/^episode: expected 1 or later/);
  });

  it('refuses an episode_start for an episode already begun, an episode_end for another episode, and obs of an ended episode', async () => {
    const { server } = await serve();
    const p = peer(server.endpoint);
    await p.hello(contract);
    await p.send({ type: 'episode_start', episode: 3 });
    const again = await p.send({ type: 'episode_start', episode: 3 });
    expect((await p.error()).reply_to).toBe(again);
    const wrongEnd = await p.send({
      type: 'episode_end',
      episode: 4,
      success: true,
      terminated: true,
      truncated: false,
    });
    const e = await p.error();
    expect([e.reply_to, e.code]).toEqual([wrongEnd, 'bad_step']);
    await p.send({ type: 'episode_end', episode: 3, success: true, terminated: true, truncated: false });
    const late = await p.send({ type: 'obs', episode: 3, step: 0, obs: obsBytes() });
    expect((await p.next((m) => m.reply_to === late)).message).toMatch(/episode 3 already ended/);
  });
});

describe('ids', () => {
  it('refuses negative and too large ids (bad_field) and echoes a step of 2^40 as a MessagePack integer', async () => {
    const { server } = await serve();
    const p = peer(server.endpoint);
    await p.hello(contract);
    for (const [field, value] of [
      ['episode', -1],
      ['step', -3],
      ['step', 2 ** 53],
    ] as const) {
      const seq = await p.send({ type: 'obs', episode: 0, step: 0, obs: obsBytes(), [field]: value });
      const e = await p.next((m) => m.reply_to === seq);
      expect([e.code, e.message]).toEqual(['bad_field', `${field}: expected an integer in [0, 2^53), got ${value}`]);
    }
    // The raw frame of the answer: read with int64 as BigInt, a float64 would come back as a number.
    const big = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' });
    const dealer = new zmq.Dealer({ linger: 0 });
    cleanups.push(() => dealer.close());
    dealer.connect(server.endpoint);
    await dealer.send(
      encode({ type: 'hello', seq: 1, time: Date.now() / 1000, protocol: 1, robot_id: 'big', contract }),
    );
    await dealer.receive();
    await dealer.send(
      encode({
        type: 'obs',
        seq: 2 ** 40,
        time: Date.now() / 1000,
        episode: 2 ** 40,
        step: 2 ** 40,
        obs: new Float32Array(OBS),
      }),
    );
    const [frame] = await dealer.receive();
    const a = big.unpack(frame) as Record<string, unknown>;
    expect(a.type).toBe('action');
    expect([a.step, a.episode, a.reply_to]).toEqual([2n ** 40n, 2n ** 40n, 2n ** 40n]);
  });
});

describe('robot ids and reconnection', () => {
  it('refuses a second robot with the id of a connected one (duplicate_robot, fatal); the first goes on', async () => {
    const { server, log } = await serve();
    const a = peer(server.endpoint);
    expect((await a.hello(contract, { robot_id: 'arm-1' })).type).toBe('welcome');
    const b = peer(server.endpoint);
    const e = await b.hello(contract, { robot_id: 'arm-1' });
    expect([e.type, e.code, e.fatal]).toEqual(['error', 'duplicate_robot', true]);
    expect(e.message).toMatch(/^robot_id "arm-1": already connected \(session \w{8}, heard \d+ ms ago\)/);
    expect(log.some((l) => /error duplicate_robot from/.test(l))).toBe(true);
    const seq = await a.send({ type: 'obs', episode: 0, step: 0, obs: obsBytes() });
    expect((await a.next((m) => m.reply_to === seq)).type).toBe('action');
    expect(server.stats().robots).toBe(1);
  });

  it('a robot reconnecting with hello.resume gets its session back (same id, step order, counters); the old connection is forgotten', async () => {
    const { server, log } = await serve();
    const a = peer(server.endpoint);
    const w = await a.hello(contract, { robot_id: 'arm-2' });
    for (const step of [0, 1, 2]) await a.send({ type: 'obs', episode: 0, step, obs: obsBytes() });
    await until(() => a.inbox.filter((m) => m.type === 'action').length === 3);
    const b = peer(server.endpoint);
    const w2 = await b.hello(contract, { robot_id: 'arm-2', resume: w.session });
    expect([w2.type, w2.session, w2.resumed, w2.seq]).toEqual(['welcome', w.session, true, 1]);
    expect(log.some((l) => l.includes(`robot arm-2 resumed session ${String(w.session).slice(0, 8)}`))).toBe(true);
    // Step order carries over: step 2 again is refused, step 3 served.
    const again = await b.send({ type: 'obs', episode: 0, step: 2, obs: obsBytes() });
    expect((await b.next((m) => m.reply_to === again)).code).toBe('bad_step');
    const next = await b.send({ type: 'obs', episode: 0, step: 3, obs: obsBytes() });
    expect((await b.next((m) => m.reply_to === next)).type).toBe('action');
    const st = server.stats();
    expect([st.robots, st.sessionsOpened, st.sessionsResumed, st.sessions[0].served]).toEqual([1, 1, 1, 4]);
    // The old connection has no session any more.
    await a.send({ type: 'obs', episode: 0, step: 4, obs: obsBytes() });
    expect((await a.error()).code).toBe('no_session');
  });

  it('RobotClient resumes its session after missed deadlines: 20 reconnections, one session', async () => {
    const { server } = await serve();
    const c = await RobotClient.connect({
      server: server.endpoint,
      robotId: 'r',
      contract,
      safeAction: navScenario.safe_action,
      deadlineMs: 5000,
      maxMisses: 3,
      backoffMs: [10, 50],
    });
    cleanups.push(() => c.close());
    const first = c.session;
    expect((await c.act(0, 0, new Float32Array(OBS))).missed).toBe(false);
    for (let i = 0; i < 20; i++) {
      // What 3 missed deadlines lead to: the client drops its socket and says hello on a new one.
      (c as unknown as { lostServer(why: string): void }).lostServer('test');
      await until(() => c.connected);
    }
    expect(c.session).toBe(first);
    expect((await c.act(0, 1, new Float32Array(OBS))).missed).toBe(false);
    const st = server.stats();
    expect([st.robots, st.sessionsOpened, st.sessionsResumed]).toEqual([1, 1, 20]);
  });

  it('two robots with one id: the second is told duplicate_robot when its connect timeout runs out', async () => {
    const { server } = await serve();
    const opts = {
      server: server.endpoint,
      robotId: 'same',
      contract,
      safeAction: navScenario.safe_action,
      deadlineMs: 5000,
    };
    const first = await RobotClient.connect(opts);
    cleanups.push(() => first.close());
    await expect(RobotClient.connect({ ...opts, connectTimeoutMs: 1200 })).rejects.toThrow(
      /refused robot same for 1200 ms: robot_id "same": already connected/,
    );
    expect(server.stats().robots).toBe(1);
  });

  it("a session id read from stats cannot take the session over, and a hello naming another robot's live session does not spoil its resume", async () => {
    const { server } = await serve();
    const a = peer(server.endpoint);
    const w = await a.hello(contract, { robot_id: 'arm-3' });
    const shownId = server.stats().sessions[0].session;
    expect(shownId).toBe(String(w.session).slice(0, 8));
    const thief = peer(server.endpoint);
    expect((await thief.hello(contract, { robot_id: 'arm-3', resume: shownId })).code).toBe('duplicate_robot');
    const evil = peer(server.endpoint);
    expect((await evil.hello(contract, { robot_id: 'evil', resume: w.session })).type).toBe('welcome');
    const back = peer(server.endpoint);
    const w2 = await back.hello(contract, { robot_id: 'arm-3', resume: w.session });
    expect([w2.type, w2.resumed, w2.session]).toEqual(['welcome', true, w.session]);
  });

  it('a second connection with the routing id of a connected peer takes it over (handover) and is answered', async () => {
    const { server, log } = await serve();
    const a = peer(server.endpoint, { routingId: 'robot-7' });
    expect((await a.hello(contract, { robot_id: 'robot-7' })).type).toBe('welcome');
    // Past its hello (a hello again at seq 1 would be a repeat, answered with the same session): the
    // heartbeat is taken in before the observation after it is answered.
    await a.send({ type: 'heartbeat' });
    const seq = await a.send({ type: 'obs', episode: 0, step: 0, obs: obsBytes() });
    await a.next((m) => m.reply_to === seq);
    const b = peer(server.endpoint, { routingId: 'robot-7' });
    const w = await b.hello(contract, { robot_id: 'robot-7' });
    expect(w.type).toBe('welcome');
    expect(log.some((l) => /robot robot-7 left \(said hello again\)/.test(l))).toBe(true);
    expect(server.stats().robots).toBe(1);
  });
});

describe('backlog', () => {
  it('a robot sending 2,000 obs without waiting gets each one answered or refused as overloaded; a robot beside it is served throughout', async () => {
    const { server } = await serve({ maxBacklog: 4 });
    const good = await RobotClient.connect({
      server: server.endpoint,
      robotId: 'good',
      contract,
      safeAction: navScenario.safe_action,
      deadlineMs: 5000,
      maxMisses: 1000,
    });
    cleanups.push(() => good.close());
    const flood = peer(server.endpoint);
    await flood.hello(contract, { robot_id: 'flood' });
    let goodMissed = 0;
    let goodSteps = 0;
    let running = true;
    const goodLoop = (async () => {
      for (let step = 0; running; step++) {
        if ((await good.act(0, step, new Float32Array(OBS).fill(0.1))).missed) goodMissed++;
        goodSteps++;
        await sleep(5);
      }
    })();
    const N = 2000;
    for (let step = 0; step < N; step++) await flood.send({ type: 'obs', episode: 0, step, obs: obsBytes() });
    await until(
      () => flood.inbox.filter((m) => m.type === 'action' || m.code === 'overloaded').length >= N && goodSteps >= 20,
      120_000,
    );
    running = false;
    await goodLoop;
    const actions = flood.inbox.filter((m) => m.type === 'action');
    const overloaded = flood.inbox.filter((m) => m.code === 'overloaded');
    expect(actions.length + overloaded.length).toBe(N);
    expect(overloaded[0].fatal).toBe(false);
    expect(overloaded[0].message).toMatch(
      /^obs seq \d+ \(episode 0, step \d+\) dropped unanswered: 4 newer observations/,
    );
    // The newest observation is always served.
    expect(actions.at(-1)!.step).toBe(N - 1);
    const st = server.stats();
    expect(st.dropped).toBe(overloaded.length);
    expect(st.sessions.find((s) => s.robot_id === 'flood')!.dropped).toBe(overloaded.length);
    expect(goodMissed).toBe(0);
    expect(goodSteps).toBeGreaterThanOrEqual(20);
  });
});

describe('stats', () => {
  it('answers a stats request from a peer without a session, and from a robot in its session', async () => {
    const { server } = await serve();
    const r = peer(server.endpoint);
    await r.hello(contract, { robot_id: 'arm' });
    await r.send({ type: 'obs', episode: 2, step: 7, obs: obsBytes() });
    await r.next((m) => m.type === 'action');
    const monitor = peer(server.endpoint);
    const seq = await monitor.send({ type: 'stats' });
    const s = await monitor.next((m) => m.type === 'stats');
    expect(s).toMatchObject({
      reply_to: seq,
      robots: 1,
      served: 1,
      dropped: 0,
      errors: 0,
      sessions_opened: 1,
      policy_version: 1,
    });
    expect((s.sessions as Record<string, unknown>[])[0]).toMatchObject({
      robot_id: 'arm',
      episode: 2,
      step: 7,
      served: 1,
      backlog: 0,
    });
    const own = await r.send({ type: 'stats' });
    expect((await r.next((m) => m.type === 'stats')).reply_to).toBe(own);
    expect(server.stats().robots).toBe(1);
  });
});

describe('deploy rights', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  async function checkpoint(id: string): Promise<string> {
    const d = mkdtempSync(join(tmpdir(), 'sim2real-rights-'));
    dirs.push(d);
    await tinyCheckpoint(join(d, 'ck'), id, 0.3);
    return join(d, 'ck');
  }

  it('without CurveZMQ deployment is off unless allowDeploy: refused at once with not_allowed', async () => {
    const { server } = await serve({ loadPolicy: checkpointLoader(contract) });
    const ck = await checkpoint('new');
    // At once: well before the deployer would give up waiting (60 s).
    const t0 = Date.now();
    const err = await deployTo(server.endpoint, ck, { timeoutMs: 60_000 }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(
      /answered not_allowed: deployment is off on this server \(start it with --allow-deploy/,
    );
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(server.stats().policyVersion).toBe(1);
    const open = await serve({ loadPolicy: checkpointLoader(contract), allowDeploy: true });
    expect(await deployTo(open.server.endpoint, ck)).toEqual({ policyId: 'new', policyVersion: 2 });
  });

  it('refuses allowDeploy on a non-loopback bind, and deployer keys without CurveZMQ', async () => {
    const policy = await tinyPolicy();
    await expect(
      PolicyServer.start({ bind: 'tcp://0.0.0.0:*', policy, insecure: true, allowDeploy: true }),
    ).rejects.toThrow(/--allow-deploy: expected a loopback --bind/);
    await expect(
      PolicyServer.start({ bind: 'tcp://127.0.0.1:*', policy, deployers: [zmq.curveKeyPair().publicKey] }),
    ).rejects.toThrow(/^--deploy-allow: expected CurveZMQ keys/);
    await expect(PolicyServer.start({ bind: 'tcp://127.0.0.1:*', policy, maxBacklog: 40 })).rejects.toThrow(
      /^--max-backlog: expected an integer in 1-32/,
    );
  });

  it('with CurveZMQ only --deploy-allow keys deploy: a robot key gets not_allowed at once, an unknown key is refused by the handshake at once', async () => {
    const serverKeys = zmq.curveKeyPair();
    const robotKeys = zmq.curveKeyPair();
    const admin = zmq.curveKeyPair();
    const { server, log } = await serve({
      curve: { ...serverKeys, allow: [robotKeys.publicKey] },
      deployers: [admin.publicKey],
      loadPolicy: checkpointLoader(contract),
    });
    const ck = await checkpoint('by-admin');
    const robotTry = await deployTo(server.endpoint, ck, {
      curve: { serverKey: serverKeys.publicKey, ...robotKeys },
      timeoutMs: 60_000,
    }).catch((e: Error) => e);
    expect((robotTry as Error).message).toMatch(
      /answered not_allowed: deploy: key .{8}… is not on the server's --deploy-allow list/,
    );
    expect(log.some((l) => /deploy refused from/.test(l))).toBe(true);
    // At once: well before the deployer would give up waiting (60 s).
    const t0 = Date.now();
    const stranger = await deployTo(server.endpoint, ck, {
      curve: { serverKey: serverKeys.publicKey, ...zmq.curveKeyPair() },
      timeoutMs: 60_000,
    }).catch((e: Error) => e);
    expect((stranger as Error).message).toMatch(/refused our CurveZMQ key \(ZAP status 400\)/);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(server.stats().policyVersion).toBe(1);
    expect(await deployTo(server.endpoint, ck, { curve: { serverKey: serverKeys.publicKey, ...admin } })).toEqual({
      policyId: 'by-admin',
      policyVersion: 2,
    });
  });
});

describe('policies that would serve garbage', () => {
  it('refuses to start or swap to a policy that answers NaN; a step it cannot answer gets an internal error, not a NaN action', async () => {
    const base = await tinyPolicy();
    const nan = await tinyPolicy('nan-var');
    nan.normalizer.var[3] = -1;
    await expect(PolicyServer.start({ bind: `tcp://127.0.0.1:${await freePort()}`, policy: nan })).rejects.toThrow(
      /policy nan-var: computed a non-finite action\[\d\]/,
    );
    const { server } = await serve({ policy: base });
    expect(() => server.swapPolicy(nan)).toThrow(/non-finite/);
    // A policy whose output goes non-finite only for some observations (e.g. overflow): the server refuses to send it.
    const fragile: Policy = {
      id: 'fragile',
      contract,
      act: (o) => Float32Array.from({ length: 2 }, () => (o[0] > 100 ? NaN : 0.5)),
      actBatch: () => new Float32Array(0),
    };
    server.swapPolicy(fragile);
    const p = peer(server.endpoint);
    await p.hello(contract);
    const bad = await p.send({ type: 'obs', episode: 0, step: 0, obs: obsBytes(1000) });
    const e = await p.next((m) => m.reply_to === bad);
    expect([e.code, e.message]).toEqual([
      'internal',
      'policy fragile computed a non-finite action[0] (NaN); nothing sent for this step',
    ]);
    const ok = await p.send({ type: 'obs', episode: 0, step: 1, obs: obsBytes(1) });
    expect((await p.next((m) => m.reply_to === ok)).type).toBe('action');
    expect(server.stats().errors).toBe(1);
  });
});

describe('a failing loop', () => {
  it('ends the server with one clear line and onFatal (not alive and deaf): the port is free again', async () => {
    const fatal: Error[] = [];
    const { server, log } = await serve({ onFatal: (e) => fatal.push(e) });
    const c = await RobotClient.connect({
      server: server.endpoint,
      robotId: 'x',
      contract,
      safeAction: navScenario.safe_action,
      deadlineMs: 5000,
    });
    cleanups.push(() => c.close());
    // The socket breaking under the server (as libzmq would on a fatal error).
    (server as unknown as { sock: zmq.Router }).sock.close();
    await until(() => fatal.length === 1);
    expect(fatal[0].message).toMatch(/^receive loop failed: /);
    expect(log.filter((l) => l.startsWith('fatal: ')).length).toBe(1);
    const again = new zmq.Router({ linger: 0 });
    await again.bind(server.endpoint);
    again.close();
  });
});

describe('what one peer must not be able to do to the others (review findings)', () => {
  it('a step gap of 2^53 - 1 is served at once (the delay history does not walk the gap)', async () => {
    const { server } = await serve();
    const p = peer(server.endpoint);
    await p.hello(contract);
    await p.send({ type: 'obs', episode: 0, step: 0, obs: obsBytes() });
    await p.next((m) => m.type === 'action');
    const seq = await p.send({ type: 'obs', episode: 0, step: 2 ** 53 - 1, obs: obsBytes() });
    expect((await p.next((m) => m.reply_to === seq)).type).toBe('action');
  });

  it('a hello asking for its own session under another robot id leaves no orphan session behind', async () => {
    // The default (patient) liveness window: an orphan would outlive the test, not be dropped as silent.
    const { server } = await serve();
    const a = peer(server.endpoint);
    const w = await a.hello(contract, { robot_id: 'r1' });
    const w2 = await a.hello(contract, { robot_id: 'r2', resume: w.session });
    expect([w2.type, w2.resumed]).toEqual(['welcome', false]);
    expect(server.stats().sessions.map((s) => s.robot_id)).toEqual(['r2']);
    // r1's id is free again at once.
    const b = peer(server.endpoint);
    expect((await b.hello(contract, { robot_id: 'r1' })).type).toBe('welcome');
  });

  it('a peer cycling hellos under new robot ids gets at most a bounded number of log lines per second', async () => {
    const { server, log } = await serve();
    const p = peer(server.endpoint);
    const t0 = Date.now();
    for (let i = 0; i < 2000; i++)
      await p.send({ type: 'hello', seq: 1, protocol: 1, robot_id: `cycler-${i}`, contract });
    await until(() => p.inbox.filter((m) => m.type === 'welcome').length === 2000, 120_000);
    // 4,000 connection lines (each hello ends the session before it), at most 100 per second logged:
    // counted against the seconds it took, however slow the machine.
    const windows = Math.floor((Date.now() - t0) / 1000) + 2;
    expect(log.length).toBeLessThanOrEqual(100 * windows + 1);
  });

  it('a hello with an oversized contract is refused before it is validated; an error quotes at most 80 characters of what was sent', async () => {
    const { server } = await serve();
    const p = peer(server.endpoint);
    const big = {
      obs: Array.from({ length: 5000 }, (_, i) => ({ name: `c${i}`, size: 1, unit: 'm', low: 0, high: 1 })),
      action: contract.action,
    };
    const e = await p.hello(big as never);
    expect([e.code, e.message]).toEqual(['bad_field', 'contract.obs: expected at most 256 components, got 5000']);
    await p.send({ type: 'x'.repeat(100_000) });
    const u = await p.error();
    expect(u.code).toBe('unknown_type');
    expect(String(u.message).length).toBeLessThan(300);
  });

  it('a robot whose stale session is still alive (it restarted) gets in by repeating its hello once the old one times out', async () => {
    const { server } = await serve({ heartbeatMs: 100, liveness: 3 });
    const stale = peer(server.endpoint);
    await stale.hello(contract, { robot_id: 'restarted' });
    await stale.close();
    const c = await RobotClient.connect({
      server: server.endpoint,
      robotId: 'restarted',
      contract,
      safeAction: navScenario.safe_action,
      deadlineMs: 5000,
      connectTimeoutMs: EVENT_MS,
    });
    cleanups.push(() => c.close());
    expect(c.connected).toBe(true);
    expect(server.stats().sessionsOpened).toBe(2);
  });
});
