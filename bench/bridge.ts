/**
 * Bridge latency: observation → action round trips through the policy server (default policy,
 * navigate contract) at 100 Hz and flat out, next to a raw ZeroMQ DEALER/ROUTER ping-pong with the
 * same payload sizes measured in the same run; then a run at 500 Hz counting missed deadlines.
 */
import * as zmq from 'zeromq';
import { createServer } from 'node:net';
import { initBackend } from '../src/policy/backend.js';
import { DEFAULT_ARCHITECTURE, GaussianMlpPolicy } from '../src/policy/gaussian-policy.js';
import { loadScenario } from '../src/sim/scenario-file.js';
import { totalSize } from '../src/sim/contract.js';
import { PolicyServer } from '../src/bridge/server.js';
import { RobotClient } from '../src/bridge/robot-client.js';
import { encode } from '../src/bridge/codec.js';
import { printTable } from './table.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

interface Lat {
  p50: number;
  p99: number;
  n: number;
}

function stats(xs: number[]): Lat {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: s[Math.floor(0.5 * (s.length - 1))], p99: s[Math.floor(0.99 * (s.length - 1))], n: s.length };
}

const sleepUntil = async (t: number) => {
  const d = t - performance.now();
  if (d > 1) await new Promise((r) => setTimeout(r, d - 1));
  while (performance.now() < t) await new Promise((r) => setImmediate(r));
};

/** Raw DEALER/ROUTER ping-pong: the ROUTER answers each request frame with a reply frame of `replyBytes`. */
async function rawPingPong(requestBytes: number, replyBytes: number, n: number, hz: number | null): Promise<Lat> {
  const url = `tcp://127.0.0.1:${await freePort()}`;
  const router = new zmq.Router({ linger: 0 });
  await router.bind(url);
  const reply = Buffer.alloc(replyBytes, 7);
  const serve = (async () => {
    try {
      for await (const [id] of router) await router.send([id, reply]);
    } catch {
      // closed
    }
  })();
  const dealer = new zmq.Dealer({ linger: 0 });
  dealer.connect(url);
  const req = Buffer.alloc(requestBytes, 3);
  const lat: number[] = [];
  let next = performance.now();
  for (let i = 0; i < n + 50; i++) {
    if (hz) {
      next += 1000 / hz;
      await sleepUntil(next);
    }
    const t0 = performance.now();
    await dealer.send(req);
    await dealer.receive();
    if (i >= 50) lat.push((performance.now() - t0) * 1000);
  }
  dealer.close();
  router.close();
  await serve;
  return stats(lat);
}

async function throughServer(server: PolicyServer, obsSize: number, n: number, hz: number | null, deadlineMs: number): Promise<Lat & { missed: number }> {
  const sc = loadScenario('scenarios/navigate-obstacles.yaml');
  const client = await RobotClient.connect({ server: server.endpoint, robotId: 'bench', contract: sc.contract, safeAction: sc.safe_action, deadlineMs, maxMisses: 1_000_000 });
  const obs = new Float32Array(obsSize).fill(0.3);
  const lat: number[] = [];
  let next = performance.now();
  const missedBefore = client.missedSteps;
  for (let i = 0; i < n + 50; i++) {
    if (hz) {
      next += 1000 / hz;
      await sleepUntil(next);
    }
    const t0 = performance.now();
    const r = await client.act(0, i, obs);
    if (i >= 50 && !r.missed) lat.push((performance.now() - t0) * 1000);
  }
  const missed = client.missedSteps - missedBefore;
  await client.close();
  return { ...stats(lat), missed };
}

export async function benchBridge(opts: { seconds500: number; json: boolean }): Promise<void> {
  await initBackend();
  const sc = loadScenario('scenarios/navigate-obstacles.yaml');
  const policy = new GaussianMlpPolicy('bench-default', sc.contract, DEFAULT_ARCHITECTURE);
  const server = await PolicyServer.start({ bind: `tcp://127.0.0.1:${await freePort()}`, policy, heartbeatMs: 250 });
  const obsSize = totalSize(sc.contract.obs);
  const actSize = totalSize(sc.contract.action);
  // Same payload sizes as the bridge messages (encoded obs request and action reply).
  const reqBytes = encode({ type: 'obs', seq: 1, time: Date.now() / 1000, episode: 0, step: 1, obs: new Float32Array(obsSize) }).length;
  const repBytes = encode({ type: 'action', seq: 1, time: Date.now() / 1000, reply_to: 1, episode: 0, step: 1, action: new Float32Array(actSize), policy_id: policy.id, policy_version: 1, compute_us: 12.5 }).length;
  const log = (s: string) => opts.json || process.stderr.write(`bench bridge: ${s}\n`);
  try {
    log('100 Hz');
    const s100 = await throughServer(server, obsSize, 1000, 100, 100);
    const r100 = await rawPingPong(reqBytes, repBytes, 1000, 100);
    log('flat out');
    const sMax = await throughServer(server, obsSize, 5000, null, 100);
    const rMax = await rawPingPong(reqBytes, repBytes, 5000, null);
    log(`500 Hz for ${opts.seconds500} s`);
    const s500 = await throughServer(server, obsSize, Math.round(500 * opts.seconds500), 500, 2);
    const rows = [
      { mode: '100 Hz', bridge: s100, raw: r100 },
      { mode: 'flat out', bridge: sMax, raw: rMax },
    ];
    const result = {
      suite: 'bridge',
      payloadBytes: { request: reqBytes, reply: repBytes },
      rows: rows.map((r) => ({ mode: r.mode, bridgeP50Us: r.bridge.p50, bridgeP99Us: r.bridge.p99, rawP50Us: r.raw.p50, rawP99Us: r.raw.p99, ratioP50: r.bridge.p50 / r.raw.p50 })),
      at500Hz: { steps: s500.n + s500.missed, missedDeadlines: s500.missed, p50Us: s500.p50, p99Us: s500.p99 },
      goals: { p50Us: 500, p99Us: 2000, missesAt500Hz: 0 },
    };
    if (opts.json) {
      console.log(JSON.stringify(result, null, 2));
      return;
    }
    printTable(
      ['mode', 'bridge p50 µs', 'bridge p99 µs', 'raw zmq p50 µs', 'raw zmq p99 µs', 'bridge/raw p50'],
      result.rows.map((r) => [r.mode, r.bridgeP50Us, r.bridgeP99Us, r.rawP50Us, r.rawP99Us, r.ratioP50]),
    );
    console.log(`\n500 Hz for ${opts.seconds500} s (deadline 2 ms): ${result.at500Hz.steps} steps, ${result.at500Hz.missedDeadlines} missed deadlines, p50 ${s500.p50.toFixed(0)} µs, p99 ${s500.p99.toFixed(0)} µs`);
    console.log(`payload ${reqBytes} B obs / ${repBytes} B action; default policy ${DEFAULT_ARCHITECTURE.hidden.join('x')}; goals: p50 ≤ 500 µs, p99 ≤ 2000 µs, 0 misses at 500 Hz`);
  } finally {
    await server.close();
  }
}
