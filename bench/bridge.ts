/**
 * Bridge latency: observation → action round trips through the policy server (the policy `train
 * --algo bc` builds by default, navigate contract, recording on as `sim2real serve` does) next to a
 * raw ZeroMQ DEALER/ROUTER ping-pong with the same payload sizes, at 100 Hz, flat out and at 500 Hz
 * (counting round trips over the 2 ms deadline); then the emulated robot's `--realtime` loop at
 * 50 Hz. Bridge and raw alternate in short chunks, so that both see the same machine: on a shared
 * machine the load changes from one second to the next, and the raw ping-pong's misses are the
 * floor the machine sets.
 */
import * as zmq from 'zeromq';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../src/policy/models/backend.js';
import { GaussianMlpPolicy, type PolicyArchitecture } from '../src/policy/models/gaussian-policy.js';
import { BC_DEFAULTS, DEFAULT_BC_HIDDEN } from '../src/policy/bc/bc.js';
import { loadScenario } from '../src/sim/scenario-file.js';
import type { Scenario } from '../src/sim/scenario-schema.js';
import { loadReality } from '../src/sim/reality.js';
import { loadRapier } from '../src/sim/rapier.js';
import { totalSize } from '../src/sim/contract.js';
import { PolicyServer } from '../src/bridge/server.js';
import { RobotClient } from '../src/bridge/robot-client.js';
import { emulateRobot } from '../src/bridge/emulated-robot.js';
import { sleepUntil } from '../src/bridge/clock.js';
import { encode } from '../src/bridge/codec.js';
import { printTable } from './table.js';
import { freePort } from './free-port.js';

/** What `train --algo bc` builds when given no architecture flags (src/policy/bc/bc.ts). */
const DEFAULT_BC_ARCHITECTURE: PolicyArchitecture = {
  hidden: DEFAULT_BC_HIDDEN,
  activation: BC_DEFAULTS.activation,
  critic: false,
  initLogStd: -1,
};
/** Steps per recorded episode. */
const EPISODE_STEPS = 500;
/** Round trips per chunk before switching between bridge and raw. */
const CHUNK = 250;
/**
 * Round trips each peer makes before anything is measured: V8 is still optimising (and
 * deoptimising msgpackr's pack) for the first thousand or so, which inflated the first window's
 * p99 many times over in earlier runs of this bench (docs/design.md, "Findings").
 */
const WARMUP = 2000;
/** Back-to-back rounds measured (after one discarded): the ratios reported are their medians. */
const ROUNDS = 3;

interface RoundTrips {
  /** µs, of the round trips that made their deadline. */
  lat: number[];
  /** Round trips over the deadline (or, through the server, answered too late). */
  missed: number;
}

interface Lat {
  p50: number;
  p99: number;
  n: number;
  missed: number;
}

function stats(r: RoundTrips): Lat {
  const s = [...r.lat].sort((a, b) => a - b);
  return {
    p50: s[Math.floor(0.5 * (s.length - 1))],
    p99: s[Math.floor(0.99 * (s.length - 1))],
    n: s.length,
    missed: r.missed,
  };
}

interface Peer {
  /** One round trip; µs, or null when it missed `deadlineMs`. */
  roundTrip(deadlineMs: number): Promise<number | null>;
  close(): Promise<void>;
}

/**
 * Raw DEALER/ROUTER ping-pong: the ROUTER answers each request frame with a reply frame of
 * `replyBytes`; with `work`, it first runs it (the policy's forward pass: the part of a round trip
 * that is the policy's, not the bridge's).
 */
async function rawPeer(requestBytes: number, replyBytes: number, work?: () => void): Promise<Peer> {
  const url = `tcp://127.0.0.1:${await freePort()}`;
  const router = new zmq.Router({ linger: 0 });
  await router.bind(url);
  const reply = Buffer.alloc(replyBytes, 7);
  const serve = (async () => {
    try {
      for await (const [id] of router) {
        work?.();
        await router.send([id, reply]);
      }
    } catch {
      // closed
    }
  })();
  const dealer = new zmq.Dealer({ linger: 0 });
  dealer.connect(url);
  const req = Buffer.alloc(requestBytes, 3);
  return {
    async roundTrip(deadlineMs) {
      const t0 = performance.now();
      await dealer.send(req);
      await dealer.receive();
      const ms = performance.now() - t0;
      return ms > deadlineMs ? null : ms * 1000;
    },
    async close() {
      dealer.close();
      router.close();
      await serve;
    },
  };
}

/** The previous step's outcome sent with each observation, as a robot does (the server records whole steps). */
const PREV = { reward: 0.5, terminated: false, truncated: false, applied: new Float32Array([0.1, -0.1]) };

/** A robot client in announced episodes of EPISODE_STEPS (so the server records what it serves). */
async function bridgePeer(server: PolicyServer, sc: Scenario, deadlineMs: number): Promise<Peer> {
  const client = await RobotClient.connect({
    server: server.endpoint,
    robotId: `bench-${deadlineMs}ms`,
    contract: sc.contract,
    safeAction: sc.safe_action,
    deadlineMs,
    maxMisses: 1_000_000,
  });
  const obs = new Float32Array(totalSize(sc.contract.obs)).fill(0.3);
  let episode = 0;
  let step = 0;
  await client.startEpisode(episode, episode);
  return {
    async roundTrip() {
      if (step === EPISODE_STEPS) {
        await client.endEpisode({
          episode,
          success: true,
          terminated: true,
          truncated: false,
          reward: PREV.reward,
          length: step,
        });
        await client.startEpisode(++episode, episode);
        step = 0;
      }
      const t0 = performance.now();
      const r = await client.act(episode, step, obs, step > 0 ? PREV : undefined);
      step++;
      return r.missed ? null : (performance.now() - t0) * 1000;
    },
    async close() {
      await client.endEpisode({
        episode,
        success: true,
        terminated: true,
        truncated: false,
        reward: PREV.reward,
        length: step,
      });
      await client.close();
    },
  };
}

/** `n` round trips on each peer at `hz` (flat out when null), alternating CHUNK at a time. */
async function alternate(peers: Peer[], n: number, hz: number | null, deadlineMs: number): Promise<Lat[]> {
  const out: RoundTrips[] = peers.map(() => ({ lat: [], missed: 0 }));
  for (const p of peers) for (let i = 0; i < WARMUP; i++) await p.roundTrip(deadlineMs);
  for (let done = 0; done < n; done += CHUNK) {
    for (const [k, p] of peers.entries()) {
      let next = performance.now();
      for (let i = 0; i < Math.min(CHUNK, n - done); i++) {
        if (hz) await sleepUntil((next += 1000 / hz));
        const us = await p.roundTrip(deadlineMs);
        if (us === null) out[k].missed++;
        else out[k].lat.push(us);
      }
    }
  }
  return out.map(stats);
}

/** The emulated robot's `--realtime` loop on navigate-obstacles run at 50 Hz (same physics step), served in-process. */
async function realtime50Hz(
  server: PolicyServer,
  base: Scenario,
  seconds: number,
): Promise<{ steps: number; overrunFraction: number; lagP99Ms: number; missed: number }> {
  const hz = 50;
  const episodeSeconds = 5;
  const sc: Scenario = {
    ...base,
    control: {
      ...base.control,
      rate_hz: hz,
      substeps: Math.max(1, Math.round((base.control.rate_hz * base.control.substeps) / hz)),
    },
    episode: { max_steps: hz * episodeSeconds },
  };
  const reality = loadReality('scenarios/reality/navigate-obstacles.yaml');
  const rep = await emulateRobot(await loadRapier(), sc, reality, {
    server: server.endpoint,
    episodes: Math.max(1, Math.round(seconds / episodeSeconds)),
    realtime: true,
    robotId: 'bench-50hz',
  });
  return {
    steps: rep.steps,
    overrunFraction: rep.overrunFraction ?? NaN,
    lagP99Ms: rep.startLagMs?.p99 ?? NaN,
    missed: rep.missedSteps,
  };
}

export async function benchBridge(opts: { seconds500: number; json: boolean }): Promise<void> {
  await initBackend();
  const sc = loadScenario('scenarios/navigate-obstacles.yaml');
  const policy = new GaussianMlpPolicy('bench-default', sc.contract, DEFAULT_BC_ARCHITECTURE);
  const recordDir = mkdtempSync(join(tmpdir(), 'sim2real-bench-bridge-'));
  const server = await PolicyServer.start({
    bind: `tcp://127.0.0.1:${await freePort()}`,
    policy,
    heartbeatMs: 250,
    recordDir,
    scenario: { name: sc.name, controlHz: 500 },
  });
  // Same payload sizes as the bridge messages (encoded obs request and action reply).
  const reqBytes = encode({
    type: 'obs',
    seq: 1,
    time: Date.now() / 1000,
    episode: 0,
    step: 1,
    obs: new Float32Array(totalSize(sc.contract.obs)),
    ...PREV,
  }).length;
  const repBytes = encode({
    type: 'action',
    seq: 1,
    time: Date.now() / 1000,
    reply_to: 1,
    episode: 0,
    step: 1,
    action: new Float32Array(totalSize(sc.contract.action)),
    policy_id: policy.id,
    policy_version: 1,
    compute_us: 12.5,
  }).length;
  const log = (s: string) => opts.json || process.stderr.write(`bench bridge: ${s}\n`);
  const n500 = Math.round(500 * opts.seconds500);
  const peers: Peer[] = [];
  try {
    const probe = new Float32Array(totalSize(sc.contract.obs)).fill(0.3);
    const [bridge, bridge2ms, raw, rawPolicy] = [
      await bridgePeer(server, sc, 100),
      await bridgePeer(server, sc, 2),
      await rawPeer(reqBytes, repBytes),
      await rawPeer(reqBytes, repBytes, () => policy.act(probe)),
    ];
    peers.push(bridge, bridge2ms, raw, rawPolicy);
    log(`warm-up (${WARMUP} round trips each, then one discarded flat-out round)`);
    await alternate([bridge, raw, rawPolicy], 5000, null, 100);
    log('100 Hz');
    const [s100, r100, p100] = await alternate([bridge, raw, rawPolicy], 1000, 100, 100);
    log(`flat out, ${ROUNDS} rounds of 5000`);
    const rounds: Lat[][] = [];
    for (let r = 0; r < ROUNDS; r++) rounds.push(await alternate([bridge, raw, rawPolicy], 5000, null, 100));
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const flat = {
      rounds: rounds.map(([b, r, p]) => ({
        bridgeP50Us: b.p50,
        bridgeP99Us: b.p99,
        rawP50Us: r.p50,
        rawP99Us: r.p99,
        rawPolicyP50Us: p.p50,
        rawPolicyP99Us: p.p99,
      })),
      ratioP50: median(rounds.map(([b, r]) => b.p50 / r.p50)),
      ratioP99: median(rounds.map(([b, r]) => b.p99 / r.p99)),
      ratioP50VsRawPolicy: median(rounds.map(([b, , p]) => b.p50 / p.p50)),
      ratioP99VsRawPolicy: median(rounds.map(([b, , p]) => b.p99 / p.p99)),
    };
    // The round with the median p50 ratio, for the table.
    const mid = rounds.map(([b, r], i) => ({ i, q: b.p50 / r.p50 })).sort((a, b) => a.q - b.q)[
      Math.floor(ROUNDS / 2)
    ].i;
    const [sMax, rMax, pMax] = rounds[mid];
    log(`500 Hz for ${opts.seconds500} s each through the server (recording) and raw`);
    const [s500, r500] = await alternate([bridge2ms, raw], n500, 500, 2);
    log('realtime 50 Hz (emulated robot)');
    const rt = await realtime50Hz(server, sc, 10);
    const rows = [
      { mode: '100 Hz', bridge: s100, raw: r100, rawPolicy: p100 },
      { mode: `flat out (median of ${ROUNDS})`, bridge: sMax, raw: rMax, rawPolicy: pMax },
    ];
    const result = {
      suite: 'bridge',
      payloadBytes: { request: reqBytes, reply: repBytes },
      policy: DEFAULT_BC_ARCHITECTURE,
      rows: rows.map((r) => ({
        mode: r.mode,
        bridgeP50Us: r.bridge.p50,
        bridgeP99Us: r.bridge.p99,
        rawP50Us: r.raw.p50,
        rawP99Us: r.raw.p99,
        ratioP50: r.bridge.p50 / r.raw.p50,
        ratioP99: r.bridge.p99 / r.raw.p99,
        rawPolicyP50Us: r.rawPolicy.p50,
        rawPolicyP99Us: r.rawPolicy.p99,
      })),
      flatOut: flat,
      at500Hz: {
        steps: n500,
        missedDeadlines: s500.missed,
        p50Us: s500.p50,
        p99Us: s500.p99,
        rawOver2Ms: r500.missed,
        rawP50Us: r500.p50,
        rawP99Us: r500.p99,
      },
      realtime50Hz: rt,
      goals: {
        p50Us: 500,
        p99Us: 2000,
        missesAt500Hz: 0,
        realtimeOverrunFraction: 0.05,
        flatOutRatioP50: 1.5,
        flatOutRatioP99: 3,
      },
    };
    if (opts.json) {
      console.log(JSON.stringify(result, null, 2));
      return;
    }
    printTable(
      [
        'mode',
        'bridge p50 µs',
        'bridge p99 µs',
        'raw zmq p50 µs',
        'raw zmq p99 µs',
        'bridge/raw p50',
        'bridge/raw p99',
        'raw+policy p50 µs',
        'raw+policy p99 µs',
      ],
      result.rows.map((r) => [
        r.mode,
        r.bridgeP50Us,
        r.bridgeP99Us,
        r.rawP50Us,
        r.rawP99Us,
        r.ratioP50,
        r.ratioP99,
        r.rawPolicyP50Us,
        r.rawPolicyP99Us,
      ]),
    );
    const ok = (v: number, goal: number) => `${v.toFixed(2)}x ${v <= goal ? '✓' : '✗'} (goal ≤ ${goal}x)`;
    console.log(
      `\nflat out, median over ${ROUNDS} rounds: bridge/raw p50 ${ok(flat.ratioP50, 1.5)}, p99 ${ok(flat.ratioP99, 3)}; ` +
        `against raw ZeroMQ whose ROUTER also runs the policy's forward pass: p50 ${flat.ratioP50VsRawPolicy.toFixed(2)}x, p99 ${flat.ratioP99VsRawPolicy.toFixed(2)}x`,
    );
    console.log(
      `\n500 Hz, ${opts.seconds500} s each, deadline 2 ms (episodes of ${EPISODE_STEPS} steps recorded): bridge ${s500.missed} of ${n500} missed, p50 ${s500.p50.toFixed(0)} µs, p99 ${s500.p99.toFixed(0)} µs; raw zmq ${r500.missed} of ${n500} over 2 ms, p50 ${r500.p50.toFixed(0)} µs, p99 ${r500.p99.toFixed(0)} µs`,
    );
    console.log(
      `realtime 50 Hz: overrun ${(100 * rt.overrunFraction).toFixed(2)}% of ${rt.steps} steps (begun > 1 ms late), start lag p99 ${rt.lagP99Ms.toFixed(3)} ms, ${rt.missed} missed deadlines`,
    );
    console.log(
      `payload ${reqBytes} B obs / ${repBytes} B action; default (bc) policy ${DEFAULT_BC_ARCHITECTURE.hidden.join('x')} ${DEFAULT_BC_ARCHITECTURE.activation}; goals: p50 ≤ 500 µs, p99 ≤ 2000 µs, 0 misses at 500 Hz, realtime overrun ≤ 5%`,
    );
  } finally {
    for (const p of peers) await p.close();
    await server.close();
    rmSync(recordDir, { recursive: true, force: true });
  }
}
