/** Shared pieces for bridge tests: a real (randomly initialised) tfjs policy and free ports. */
import * as zmq from 'zeromq';
import { Packr } from 'msgpackr';
import type { Contract } from '../../src/sim/contract.js';
import { initBackend } from '../../src/policy/models/backend.js';
import { GaussianMlpPolicy } from '../../src/policy/models/gaussian-policy.js';
import { saveCheckpoint } from '../../src/policy/checkpoints/checkpoint.js';
import { loadScenario } from '../../src/sim/scenario-file.js';
import type { Scenario } from '../../src/sim/scenario-schema.js';

export const navScenario = loadScenario('scenarios/navigate-obstacles.yaml');

export async function tinyPolicy(
  id = 'tiny',
  seedShift = 0,
  scenario: Scenario = navScenario,
): Promise<GaussianMlpPolicy> {
  await initBackend();
  const p = new GaussianMlpPolicy(id, scenario.contract, {
    hidden: [16],
    activation: 'tanh',
    critic: false,
    initLogStd: -1,
  });
  // Shift the output bias so two policies give visibly different actions.
  if (seedShift) {
    const out = p.actor.layers[p.actor.layers.length - 1];
    const [k, b] = out.getWeights();
    out.setWeights([k, b.add(seedShift)]);
    p.syncFastPath();
  }
  return p;
}

/** A tiny policy saved as a checkpoint directory (what `serve --policy` and `deploy --policy` read). */
export async function tinyCheckpoint(
  dir: string,
  id: string,
  seedShift = 0,
  scenario: Scenario = navScenario,
): Promise<GaussianMlpPolicy> {
  const p = await tinyPolicy(id, seedShift, scenario);
  await saveCheckpoint(dir, p, { scenario: scenario as never, training: { algo: 'none (test fixture)' }, metrics: {} });
  return p;
}

export { freePort } from '../../bench/free-port.js';

/**
 * Heartbeat settings for servers in tests that are not about liveness: a 10 s window (heartbeat_ms
 * x liveness), so that a robot is dropped as silent (and a client gives its server up) only when the
 * peer is really gone, never because a loaded machine held a process back for a second.
 */
export const PATIENT = { heartbeatMs: 250, liveness: 40 } as const;

/** How long a test waits for an event that comes within milliseconds when all is well: only a broken implementation takes this long. */
export const EVENT_MS = 20_000;

/** Wait until `pred` holds (polled every 5 ms), or fail after `timeoutMs`. */
export async function until(pred: () => boolean, timeoutMs = EVENT_MS, what: string = pred.toString()): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Plain MessagePack (maps, no records or extensions), as any client library would write it. */
export const msgpack = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  variableMapSize: true,
  int64AsType: 'number',
});

/**
 * A hand-driven DEALER for protocol tests: sends whatever bytes it is told to and collects every
 * frame the server sends back, decoded when possible, plus its socket's disconnect events.
 */
export class RawPeer {
  readonly sock: zmq.Dealer;
  readonly inbox: Record<string, unknown>[] = [];
  disconnects = 0;
  private waiters: (() => void)[] = [];
  private readonly loop: Promise<void>;
  private seq = 0;

  constructor(
    endpoint: string,
    opts: { routingId?: string; curve?: { serverKey: string; publicKey: string; secretKey: string } } = {},
  ) {
    const sock = new zmq.Dealer({ linger: 0, ...(opts.routingId ? { routingId: opts.routingId } : {}) });
    this.sock = sock;
    if (opts.curve) {
      this.sock.curveServerKey = opts.curve.serverKey;
      this.sock.curvePublicKey = opts.curve.publicKey;
      this.sock.curveSecretKey = opts.curve.secretKey;
    }
    this.sock.events.on('disconnect', () => {
      this.disconnects++;
      this.wake();
    });
    this.sock.connect(endpoint);
    this.loop = (async () => {
      try {
        for await (const frames of sock) {
          let m: Record<string, unknown>;
          try {
            m = msgpack.unpack(frames[0]) as Record<string, unknown>;
          } catch {
            m = { type: '(undecodable)' };
          }
          if (frames.length !== 1) m = { ...m, frames: frames.length };
          this.inbox.push(m);
          this.wake();
        }
      } catch {
        // closed
      }
    })();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Send raw bytes (one frame) or several frames (a multipart message). */
  async sendRaw(...frames: (Uint8Array | string)[]): Promise<void> {
    await this.sock.send(frames.length === 1 ? frames[0] : frames);
  }

  /** Send a map as MessagePack, filling in `seq` (next number unless given) and `time`. */
  async send(m: Record<string, unknown>): Promise<number> {
    const seq = typeof m.seq === 'number' ? m.seq : ++this.seq;
    if (typeof m.seq === 'number') this.seq = Math.max(this.seq, m.seq);
    await this.sock.send(msgpack.pack({ seq, time: Date.now() / 1000, ...m }));
    return seq;
  }

  async hello(contract: Contract, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    this.seq = 0;
    await this.send({ type: 'hello', protocol: 1, robot_id: 'raw', contract, ...extra });
    return this.next((m) => m.type === 'welcome' || m.type === 'error');
  }

  /** Wait for the first collected message (already received or arriving) matching `pred`, and remove it. */
  async next(
    pred: (m: Record<string, unknown>) => boolean = () => true,
    timeoutMs = EVENT_MS,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex(pred);
      if (i >= 0) return this.inbox.splice(i, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `RawPeer: no matching message within ${timeoutMs} ms (inbox: ${JSON.stringify(this.inbox.map((m) => m.type))})`,
        );
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => (clearTimeout(t), r()));
      });
    }
  }

  /** The next `error` message. */
  error(timeoutMs = EVENT_MS): Promise<Record<string, unknown>> {
    return this.next((m) => m.type === 'error', timeoutMs);
  }

  /** Wait until the socket has seen `n` disconnects. */
  async disconnected(n = 1, timeoutMs = EVENT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.disconnects < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`RawPeer: not disconnected within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 50));
        this.waiters.push(() => (clearTimeout(t), r()));
      });
    }
  }

  async close(): Promise<void> {
    this.sock.close();
    await this.loop;
  }
}

/** Float32 little-endian bytes of `values` (what `obs`/`action` fields carry). */
export function f32(values: ArrayLike<number>): Uint8Array {
  const v = Float32Array.from(values);
  return new Uint8Array(v.buffer);
}
