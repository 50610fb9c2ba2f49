/**
 * Bad input (docs/protocol.md "Error codes"): a raw DEALER sends the server everything a broken or
 * hostile robot might; each gets the documented `error` reply and a log line, while a second,
 * well-behaved robot keeps being served on time, during and after, and the server keeps running.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PolicyServer } from '../../src/bridge/server.js';
import { RobotClient } from '../../src/bridge/robot-client.js';
import { MAX_FRAME_BYTES } from '../../src/bridge/messages.js';
import type { GaussianMlpPolicy } from '../../src/policy/models/gaussian-policy.js';
import { EVENT_MS, RawPeer, f32, freePort, msgpack, navScenario, tinyPolicy, until } from './fixtures.js';

const contract = navScenario.contract;
const OBS = 29;
const goodObs = () => f32(new Float32Array(OBS).fill(0.5));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let policy: GaussianMlpPolicy;
let server: PolicyServer;
let log: string[];
let raw: RawPeer;
let good: RobotClient;
let loop: { stop: () => Promise<{ steps: number; missed: number; wrong: number }>; steps: () => number };

/** The well-behaved robot: steps as fast as it is answered, checking every action against the policy. */
function driveGoodRobot(c: RobotClient) {
  let running = true;
  let steps = 0;
  let missed = 0;
  let wrong = 0;
  const done = (async () => {
    for (let step = 0; running; step++) {
      const obs = new Float32Array(OBS).fill((step % 10) / 10);
      const r = await c.act(0, step, obs);
      if (r.missed) missed++;
      else if (Array.from(r.action).join() !== Array.from(policy.act(obs)).join()) wrong++;
      steps++;
      await sleep(2);
    }
  })();
  return {
    steps: () => steps,
    async stop() {
      running = false;
      await done;
      return { steps, missed, wrong };
    },
  };
}

/** The good robot made at least `n` more steps (all answered on time). */
async function goodRobotAdvances(n = 5): Promise<void> {
  const target = loop.steps() + n;
  const deadline = Date.now() + EVENT_MS;
  while (loop.steps() < target) {
    if (Date.now() > deadline) throw new Error(`the well-behaved robot stalled at ${loop.steps()} steps`);
    await sleep(5);
  }
}

beforeEach(async () => {
  policy = await tinyPolicy();
  log = [];
  // A 2 s liveness window: the good robot keeps its session through a loaded machine's pauses, and a
  // peer whose connection is gone is forgotten within seconds (the oversized-frame case waits for that).
  server = await PolicyServer.start({
    bind: `tcp://127.0.0.1:${await freePort()}`,
    policy,
    log: (l) => log.push(l),
    heartbeatMs: 250,
    liveness: 8,
  });
  // Deadlines a loaded machine does not miss: a miss here means the server stalled or dropped the step.
  good = await RobotClient.connect({
    server: server.endpoint,
    robotId: 'good',
    contract,
    safeAction: navScenario.safe_action,
    deadlineMs: 5000,
    maxMisses: 1000,
  });
  loop = driveGoodRobot(good);
  raw = new RawPeer(server.endpoint);
});

afterEach(async () => {
  const r = await loop.stop();
  // During the whole test the well-behaved robot got every action, on time, and the right one.
  expect(r.missed).toBe(0);
  expect(r.wrong).toBe(0);
  expect(r.steps).toBeGreaterThan(0);
  await raw.close();
  await good.close();
  await server.close();
});

/** After the bad input: the server still serves (a fresh hello on the same peer works) and the good robot moves on. */
async function stillServing(): Promise<void> {
  await goodRobotAdvances();
  const w = await raw.hello(contract);
  expect(w.type).toBe('welcome');
  const seq = await raw.send({ type: 'obs', episode: 0, step: 0, obs: goodObs() });
  const a = await raw.next((m) => m.type === 'action');
  expect(a.reply_to).toBe(seq);
  expect(server.stats().robots).toBe(2);
}

function logged(code: string): boolean {
  return log.some((l) => l.startsWith(`error ${code} `));
}

describe('bad input from a robot with a session', () => {
  beforeEach(async () => {
    expect((await raw.hello(contract)).type).toBe('welcome');
  });

  const obsWith = (extra: Record<string, unknown>) => ({ type: 'obs', episode: 0, step: 0, obs: goodObs(), ...extra });

  const cases: {
    name: string;
    send: (p: RawPeer) => Promise<number | undefined>;
    code: string;
    replyTo?: boolean;
    match?: RegExp;
  }[] = [
    {
      name: 'malformed MessagePack (truncated map)',
      send: (p) => p.sendRaw(Buffer.from([0x83, 0xa4, 0x74])).then(() => undefined),
      code: 'malformed',
      match: /MessagePack/,
    },
    {
      name: 'malformed MessagePack (never-used byte 0xc1)',
      send: (p) => p.sendRaw(Buffer.from([0xc1])).then(() => undefined),
      code: 'malformed',
    },
    {
      name: 'a map followed by trailing bytes',
      send: (p) =>
        p
          .sendRaw(Buffer.concat([msgpack.pack({ type: 'heartbeat', seq: 50, time: 1 }), Buffer.from([1, 2])]))
          .then(() => undefined),
      code: 'malformed',
    },
    {
      name: 'an unknown extension type',
      send: (p) => p.sendRaw(Buffer.from([0xd4, 0x05, 0x01])).then(() => undefined),
      code: 'malformed',
    },
    { name: 'an empty frame', send: (p) => p.sendRaw(Buffer.alloc(0)).then(() => undefined), code: 'malformed' },
    {
      name: 'a MessagePack array',
      send: (p) => p.sendRaw(msgpack.pack([1, 2, 3])).then(() => undefined),
      code: 'malformed',
      match: /array/,
    },
    {
      name: 'a MessagePack string',
      send: (p) => p.sendRaw(msgpack.pack('obs')).then(() => undefined),
      code: 'malformed',
    },
    { name: 'MessagePack nil', send: (p) => p.sendRaw(Buffer.from([0xc0])).then(() => undefined), code: 'malformed' },
    {
      name: 'a timestamp (extension -1)',
      send: (p) => p.sendRaw(Buffer.from([0xd6, 0xff, 0, 0, 0, 1])).then(() => undefined),
      code: 'malformed',
    },
    {
      name: 'obs.episode as a string',
      send: (p) => p.send(obsWith({ episode: 'zero' })),
      code: 'bad_field',
      replyTo: true,
      match: /episode/,
    },
    {
      name: 'obs.step as a float',
      send: (p) => p.send(obsWith({ step: 1.5 })),
      code: 'bad_field',
      replyTo: true,
      match: /step/,
    },
    {
      name: 'obs.obs as an array of numbers',
      send: (p) => p.send(obsWith({ obs: new Array(OBS).fill(0.5) })),
      code: 'bad_field',
      replyTo: true,
      match: /obs/,
    },
    {
      name: 'obs.obs missing',
      send: (p) => p.send({ type: 'obs', episode: 0, step: 0 }),
      code: 'bad_field',
      replyTo: true,
      match: /obs/,
    },
    {
      name: 'obs.reward as a string',
      send: (p) => p.send(obsWith({ reward: '1' })),
      code: 'bad_field',
      replyTo: true,
      match: /reward/,
    },
    {
      name: 'obs.terminated as a number',
      send: (p) => p.send(obsWith({ terminated: 1 })),
      code: 'bad_field',
      replyTo: true,
      match: /terminated/,
    },
    {
      name: 'time as a string',
      send: (p) => p.send(obsWith({ time: 'now' })),
      code: 'bad_field',
      replyTo: true,
      match: /time/,
    },
    {
      name: 'seq as a string',
      send: (p) => p.sendRaw(msgpack.pack(obsWith({ seq: 'one', time: 1 }))).then(() => undefined),
      code: 'bad_field',
      match: /seq/,
    },
    {
      name: 'episode_start.episode negative',
      send: (p) => p.send({ type: 'episode_start', episode: -1 }),
      code: 'bad_field',
      replyTo: true,
      match: /episode/,
    },
    {
      name: 'episode_end.success missing',
      send: (p) => p.send({ type: 'episode_end', episode: 0, terminated: false, truncated: true }),
      code: 'bad_field',
      replyTo: true,
      match: /success/,
    },
    {
      name: 'obs of 28 floats',
      send: (p) => p.send(obsWith({ obs: f32(new Float32Array(28)) })),
      code: 'bad_vector',
      replyTo: true,
      match: /expected 29/,
    },
    {
      name: 'obs of 30 floats',
      send: (p) => p.send(obsWith({ obs: f32(new Float32Array(30)) })),
      code: 'bad_vector',
      replyTo: true,
    },
    {
      name: 'obs of 7 bytes',
      send: (p) => p.send(obsWith({ obs: new Uint8Array(7) })),
      code: 'bad_vector',
      replyTo: true,
      match: /multiple of 4/,
    },
    {
      name: 'applied of 3 bytes',
      send: (p) => p.send(obsWith({ applied: new Uint8Array(3) })),
      code: 'bad_vector',
      replyTo: true,
      match: /applied/,
    },
    {
      name: 'applied of 3 floats',
      send: (p) => p.send(obsWith({ applied: f32([0, 0, 0]) })),
      code: 'bad_vector',
      replyTo: true,
      match: /applied/,
    },
    {
      name: 'NaN in obs',
      send: (p) => p.send(obsWith({ obs: f32(Object.assign(new Float32Array(OBS).fill(0.5), { 3: NaN })) })),
      code: 'non_finite',
      replyTo: true,
      match: /obs\[3\].*NaN/,
    },
    {
      name: '+Inf in obs',
      send: (p) => p.send(obsWith({ obs: f32(Object.assign(new Float32Array(OBS).fill(0.5), { 28: Infinity })) })),
      code: 'non_finite',
      replyTo: true,
      match: /obs\[28\]/,
    },
    {
      name: '-Inf in obs',
      send: (p) => p.send(obsWith({ obs: f32(Object.assign(new Float32Array(OBS).fill(0.5), { 0: -Infinity })) })),
      code: 'non_finite',
      replyTo: true,
    },
    {
      name: 'NaN in applied',
      send: (p) => p.send(obsWith({ applied: f32([NaN, 0]) })),
      code: 'non_finite',
      replyTo: true,
      match: /applied/,
    },
    {
      name: 'an unknown message type',
      send: (p) => p.send({ type: 'teleport', x: 1 }),
      code: 'unknown_type',
      replyTo: true,
      match: /teleport/,
    },
    { name: 'a message without type', send: (p) => p.send({ episode: 0 }), code: 'unknown_type', replyTo: true },
    { name: 'type as a number', send: (p) => p.send({ type: 7 }), code: 'unknown_type', replyTo: true },
    {
      name: 'a replayed sequence number',
      send: async (p) => (await p.send({ type: 'heartbeat', seq: 40 }), p.send({ type: 'heartbeat', seq: 40 })),
      code: 'replayed_seq',
      replyTo: true,
      match: /expected > 40, got 40/,
    },
    {
      name: 'an old sequence number',
      send: async (p) => (await p.send({ type: 'heartbeat', seq: 40 }), p.send(obsWith({ seq: 3 }))),
      code: 'replayed_seq',
      replyTo: true,
    },
    {
      name: 'a two-frame message',
      send: (p) =>
        p
          .sendRaw(
            msgpack.pack({ type: 'heartbeat', seq: 9, time: 1 }),
            msgpack.pack({ type: 'heartbeat', seq: 10, time: 1 }),
          )
          .then(() => undefined),
      code: 'malformed',
      match: /one frame/,
    },
    {
      name: 'a three-frame message with an empty delimiter (REQ-style)',
      send: (p) =>
        p.sendRaw(Buffer.alloc(0), msgpack.pack({ type: 'heartbeat', seq: 9, time: 1 })).then(() => undefined),
      code: 'malformed',
      match: /one frame/,
    },
    {
      name: 'a frame just over 1 MiB',
      send: (p) =>
        p
          .sendRaw(
            msgpack.pack({
              type: 'obs',
              seq: 60,
              time: 1,
              episode: 0,
              step: 0,
              obs: goodObs(),
              pad: new Uint8Array(MAX_FRAME_BYTES),
            }),
          )
          .then(() => undefined),
      code: 'too_large',
      match: /at most 1048576/,
    },
  ];

  it.each(cases)('$name → $code', async ({ send, code, replyTo, match }) => {
    const seq = await send(raw);
    const e = await raw.error();
    expect(e.code).toBe(code);
    expect(e.fatal).toBe(false);
    expect(typeof e.message).toBe('string');
    if (match) expect(e.message).toMatch(match);
    if (replyTo) expect(e.reply_to).toBe(seq);
    expect(logged(code)).toBe(true);
    // Not fatal: the session goes on (the next obs, with a fresh seq, is answered).
    const next = await raw.send({ type: 'obs', episode: 0, step: 1, obs: goodObs(), seq: 1000 });
    expect((await raw.next((m) => m.type === 'action')).reply_to).toBe(next);
    expect(raw.inbox.filter((m) => m.type === 'error')).toEqual([]);
    await stillServing();
  });
});

describe('bad input from a robot without a session', () => {
  it('obs before hello → no_session (fatal)', async () => {
    const seq = await raw.send({ type: 'obs', episode: 0, step: 0, obs: goodObs() });
    const e = await raw.error();
    expect(e).toMatchObject({ code: 'no_session', fatal: true, reply_to: seq });
    expect(e.message).toMatch(/hello first/);
    expect(logged('no_session')).toBe(true);
    for (const type of ['episode_start', 'heartbeat', 'episode_end', 'bye']) {
      await raw.send({ type, episode: 0, success: false, terminated: false, truncated: false });
      expect((await raw.error()).code).toBe('no_session');
    }
    await stillServing();
  });

  it('hello with protocol 2 → protocol_version (fatal), no session', async () => {
    const e = await raw.hello(contract, { protocol: 2 });
    expect(e).toMatchObject({ type: 'error', code: 'protocol_version', fatal: true, reply_to: 1 });
    expect(e.message).toMatch(/expected 1, got 2/);
    expect(logged('protocol_version')).toBe(true);
    expect(server.stats().robots).toBe(1);
    await raw.send({ type: 'obs', episode: 0, step: 0, obs: goodObs() });
    expect((await raw.error()).code).toBe('no_session');
    await stillServing();
  });

  it('protocol_version on a second hello ends the running session', async () => {
    expect((await raw.hello(contract)).type).toBe('welcome');
    expect(server.stats().robots).toBe(2);
    expect((await raw.hello(contract, { protocol: 0 })).code).toBe('protocol_version');
    await goodRobotAdvances(2);
    expect(server.stats().robots).toBe(1);
    await stillServing();
  });

  it('hello with a malformed contract → bad_field, fatal (there is no session)', async () => {
    const e = await raw.hello({ obs: [{ name: 'lidar', size: 'many' }], action: [] } as never);
    expect(e).toMatchObject({ code: 'bad_field', fatal: true, reply_to: 1 });
    expect(e.message).toMatch(/contract/);
    expect(logged('bad_field')).toBe(true);
    expect(server.stats().robots).toBe(1);
    await stillServing();
  });

  it('hello with robot_id as a number → bad_field', async () => {
    const e = await raw.hello(contract, { robot_id: 42 });
    expect(e).toMatchObject({ code: 'bad_field', fatal: true });
    expect(e.message).toMatch(/robot_id/);
    await stillServing();
  });

  it('garbage or multipart frames before hello → malformed, fatal (say hello first)', async () => {
    await raw.sendRaw(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    expect(await raw.error()).toMatchObject({ code: 'malformed', fatal: true });
    await raw.sendRaw(Buffer.alloc(0), msgpack.pack({ type: 'hello' }));
    expect(await raw.error()).toMatchObject({ code: 'malformed', fatal: true });
    expect(logged('malformed')).toBe(true);
    await stillServing();
  });

  it('a repeated hello before anything else gets the same session; a later one a new session', async () => {
    const w1 = await raw.hello(contract);
    const w2 = await raw.hello(contract);
    expect(w2).toMatchObject({ type: 'welcome', session: w1.session });
    expect(server.stats().robots).toBe(2);
    expect(log.some((l) => /said hello again/.test(l))).toBe(false);
    await raw.send({ type: 'heartbeat' });
    const w3 = await raw.hello(contract);
    expect(w3.type).toBe('welcome');
    expect(w3.session).not.toBe(w1.session);
    expect(log.some((l) => /robot raw left \(said hello again\)/.test(l))).toBe(true);
    await stillServing();
  });

  it('a hello that fails validation leaves a running session alone (error not fatal)', async () => {
    expect((await raw.hello(contract)).type).toBe('welcome');
    await raw.send({ type: 'hello', protocol: 1, robot_id: '', contract });
    expect(await raw.error()).toMatchObject({ code: 'bad_field', fatal: false });
    const seq = await raw.send({ type: 'obs', episode: 0, step: 0, obs: goodObs() });
    expect((await raw.next((m) => m.type === 'action')).reply_to).toBe(seq);
  });

  it('a RobotClient whose hello is refused fails fast with the reason', async () => {
    // Fast: well before its connect timeout (60 s) would run out.
    const t0 = Date.now();
    await expect(
      RobotClient.connect({
        server: server.endpoint,
        robotId: 'x'.repeat(201),
        contract,
        safeAction: navScenario.safe_action,
        deadlineMs: 100,
        connectTimeoutMs: 60_000,
      }),
    ).rejects.toThrow(/refused robot x+: robot_id: /);
    expect(Date.now() - t0).toBeLessThan(30_000);
    await stillServing();
  });
});

describe('oversized frames', () => {
  it('a frame well over 1 MiB: libzmq drops the connection (maxMessageSize); the server and other robots go on', async () => {
    expect((await raw.hello(contract)).type).toBe('welcome');
    await raw.sendRaw(Buffer.alloc(4 * MAX_FRAME_BYTES, 0x81));
    // No error reply can be sent on a connection libzmq closed: the peer just sees a disconnect.
    await raw.disconnected();
    // Reported once no bye or deploy answer explains the close (1 s grace).
    await until(() => log.some((l) => /connection on .* was closed without a bye/.test(l)));
    await goodRobotAdvances();
    // Its session is gone with the connection (a DEALER gets a new routing id when it reconnects), so
    // the server forgets it at the latest after heartbeat_ms × liveness.
    expect(raw.inbox.filter((m) => m.type !== 'heartbeat')).toEqual([]);
    await until(() => log.some((l) => /robot raw left \(silent for/.test(l)));
    expect(server.stats().robots).toBe(1);
    await stillServing();
  });

  it('repeated oversized frames from many peers never take the server down', async () => {
    const peers = [0, 1, 2].map(() => new RawPeer(server.endpoint));
    try {
      for (let round = 0; round < 3; round++) {
        await Promise.all(peers.map((p) => p.sendRaw(Buffer.alloc(2 * MAX_FRAME_BYTES + round))));
      }
      await Promise.all(peers.map((p) => p.disconnected()));
      await goodRobotAdvances();
      await stillServing();
    } finally {
      await Promise.all(peers.map((p) => p.close()));
    }
  });
});
