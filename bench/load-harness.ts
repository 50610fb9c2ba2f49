/**
 * Load and fault harness for the policy server (test/bridge/load.test.ts, `npm run bench --
 * bridge-load`): paced robots, attackers, and the servers they run against.
 *
 * - `PacedRobot`: one light DEALER per robot sending an observation every period (absolute
 *   schedule, no catch-up bursts) and counting the answers that come within a deadline. Against the
 *   policy server it speaks the protocol (hello, episode_start, obs with increasing steps,
 *   episode_end every N steps, bye); against the raw echo (raw-echo.ts) it sends a frame of the
 *   same size and waits for one the size of an action: the floor the machine sets.
 * - `ClientRobot`: the same paced loop through the real `RobotClient` (its reconnection), for the
 *   kill -9 case.
 * - Attackers: `flood` (one session sending observations as fast as it can, never reading),
 *   `garbage` (undecodable and invalid frames, with and without a session).
 * - Targets: the policy server in-process, `sim2real serve` and the raw echo as child processes
 *   (which can be killed with SIGKILL and restarted on the same port).
 */
import * as zmq from 'zeromq';
import { Packr } from 'msgpackr';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { totalSize, type Contract } from '../src/sim/contract.js';
import { decodeServerMessage, encode } from '../src/bridge/codec.js';
import { PROTOCOL_VERSION, type ObsMsg, type ServerMessage, type StatsMsg } from '../src/bridge/messages.js';
import { PolicyServer, type PolicyServerOptions } from '../src/bridge/server.js';
import { RobotClient, type RobotClientOptions } from '../src/bridge/robot-client.js';
import { readEpisodes } from '../src/episodes/reader.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The repository root, from this file's place in bench/ (tests, tsx) or dist/bench/ (built). */
const ROOT = (() => {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return /[/\\]dist[/\\]bench[/\\]?$/.test(here) ? join(here, '..', '..') : join(here, '..');
})();
/** The built CLI and raw echo (npm test / npm run bench build them first). */
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const RAW_ECHO = join(ROOT, 'dist', 'bench', 'raw-echo.js');

export { freePort } from './free-port.js';

export async function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(10);
  }
}

// ---------------------------------------------------------------------------------------------
// Message sizes

/** The previous step's outcome sent with each observation after the first, as a robot does. */
function prevFields(actSize: number): Pick<ObsMsg, 'reward' | 'terminated' | 'truncated' | 'applied'> {
  return { reward: 0.5, terminated: false, truncated: false, applied: new Float32Array(actSize).fill(0.1) };
}

/** Byte sizes of an `obs` (with the previous step's outcome) and of its `action` answer. */
export function frameSizes(contract: Contract, policyId = 'bench-load-policy'): { obs: number; action: number } {
  const obsSize = totalSize(contract.obs);
  const actSize = totalSize(contract.action);
  const obs = encode({
    type: 'obs',
    seq: 100_000,
    time: Date.now() / 1000,
    episode: 10,
    step: 1000,
    obs: new Float32Array(obsSize),
    ...prevFields(actSize),
  }).length;
  const action = encode({
    type: 'action',
    seq: 100_000,
    time: Date.now() / 1000,
    reply_to: 100_000,
    episode: 10,
    step: 1000,
    action: new Float32Array(actSize),
    policy_id: policyId,
    policy_version: 1,
    compute_us: 12.5,
  }).length;
  return { obs, action };
}

// ---------------------------------------------------------------------------------------------
// Robots

/** What one well-behaved robot saw. */
export interface RobotReport {
  robotId: string;
  /** Observations sent (the robot's own process may skip a tick when it falls more than a period behind). */
  sent: number;
  /** Answered with an action within the deadline. */
  answered: number;
  /** Not answered within the deadline: late, refused, or never. */
  missed: number;
  /** Of `missed`: answered, but after the deadline. */
  late: number;
  /** Error codes the server answered with (server mode). */
  errors: Record<string, number>;
  /** Round trips of the answered observations, ms. */
  rttMs: number[];
  /** When each answered observation was sent, ms since `startedAt` (performance clock). */
  answeredAt: number[];
  /** When each missed observation was sent, ms since `startedAt`. */
  missedAt: number[];
  /** performance.now() when the robot started, and how long it ran, ms. */
  startedAt: number;
  runMs: number;
  /** Episodes the robot ended (episode_end sent while connected), with their step counts. */
  episodes: { episode: number; steps: number; endedAt: number }[];
  /** Observations the server refused with an error (not served, so not recorded), by episode. */
  refused: Record<number, number>;
}

function emptyReport(robotId: string): RobotReport {
  return {
    robotId,
    sent: 0,
    answered: 0,
    missed: 0,
    late: 0,
    errors: {},
    rttMs: [],
    answeredAt: [],
    missedAt: [],
    startedAt: 0,
    runMs: 0,
    episodes: [],
    refused: {},
  };
}

export interface PacedRobotOptions {
  endpoint: string;
  /** `server`: the protocol, against the policy server; `raw`: same-sized frames against the raw echo. */
  mode: 'server' | 'raw';
  robotId: string;
  contract: Contract;
  hz: number;
  deadlineMs: number;
  /** Steps per episode (server mode). */
  episodeSteps: number;
  scenario?: string;
  connectTimeoutMs?: number;
}

/**
 * A robot as light as it gets: one DEALER, one observation per period on an absolute schedule (a
 * tick more than a period late is skipped rather than sent in a burst), answers matched by
 * `reply_to` (raw: the first 4 bytes) and counted against the deadline.
 */
export class PacedRobot {
  readonly report: RobotReport;
  /** Session id from the welcome (server mode). */
  session = '';
  /** A fatal error ended the session: the robot stops sending (it would say hello again; these tests count it as a failure). */
  fatal: string | null = null;
  private readonly sock: zmq.Dealer;
  private readonly loop: Promise<void>;
  private readonly periodMs: number;
  private readonly obs: Float32Array;
  private readonly prev: ReturnType<typeof prevFields>;
  private readonly rawFrame: Buffer;
  private readonly pending = new Map<number, number>();
  /** The episode of each observation not answered yet (an error may come after the deadline). */
  private readonly obsEpisode = new Map<number, number>();
  private readonly out: Buffer[] = [];
  private sending = false;
  private seq = 0;
  private episode = 0;
  private step = 0;
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private keepAlive: NodeJS.Timeout | null = null;
  private nextAt = 0;
  private lastSent = 0;
  private waiter: ((ok: Error | null) => void) | null = null;
  /** Sends dropped because the robot's own queue was full (the socket not taking them). */
  sendDropped = 0;

  private constructor(private readonly o: PacedRobotOptions) {
    this.report = emptyReport(o.robotId);
    this.periodMs = 1000 / o.hz;
    this.obs = Float32Array.from({ length: totalSize(o.contract.obs) }, (_, i) => ((i * 7) % 13) / 13 - 0.5);
    this.prev = prevFields(totalSize(o.contract.action));
    this.rawFrame = Buffer.alloc(frameSizes(o.contract).obs, 3);
    this.sock = new zmq.Dealer({ linger: 0 });
    this.sock.connect(o.endpoint);
    this.loop = this.receive();
  }

  /** Connect and handshake (server: hello → welcome; raw: one echo). */
  static async connect(o: PacedRobotOptions): Promise<PacedRobot> {
    const r = new PacedRobot(o);
    const timeoutMs = o.connectTimeoutMs ?? 10_000;
    const got = new Promise<Error | null>((resolve) => {
      r.waiter = resolve;
      setTimeout(
        () =>
          resolve(
            new Error(
              `robot ${o.robotId}: no ${o.mode === 'server' ? 'welcome' : 'echo'} from ${o.endpoint} within ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      ).unref();
    });
    if (o.mode === 'server') {
      r.sendMsg({
        type: 'hello',
        seq: 0,
        time: 0,
        protocol: PROTOCOL_VERSION,
        robot_id: o.robotId,
        contract: o.contract,
        control_hz: o.hz,
        ...(o.scenario ? { scenario: o.scenario } : {}),
      });
    } else {
      r.sendRaw(0);
    }
    const e = await got;
    r.waiter = null;
    if (e) {
      await r.close();
      throw e;
    }
    // Between the handshake and start(), and while stopping: the session must not go silent.
    r.keepAlive = setInterval(() => {
      if (r.o.mode === 'server' && !r.running && !r.fatal && Date.now() - r.lastSent > 100)
        r.sendMsg({ type: 'heartbeat', seq: 0, time: 0 });
    }, 100);
    return r;
  }

  /** Begin the paced loop (first tick at `at`, performance clock). */
  start(at = performance.now()): void {
    this.running = true;
    this.report.startedAt = at;
    this.nextAt = at;
    if (this.o.mode === 'server')
      this.sendMsg({ type: 'episode_start', seq: 0, time: 0, episode: this.episode, seed: this.episode });
    this.timer = setTimeout(this.tick, Math.max(0, at - performance.now()));
  }

  private readonly tick = (): void => {
    if (!this.running) return;
    const now = performance.now();
    this.sweep(now);
    if (!this.fatal) {
      if (this.o.mode === 'server') this.sendObs(now);
      else {
        const seq = ++this.seq;
        this.pending.set(seq, now);
        this.report.sent++;
        this.sendRaw(seq);
      }
    }
    this.nextAt += this.periodMs;
    // More than a period behind (this process was busy): skip, do not burst.
    if (this.nextAt < now) this.nextAt = now + this.periodMs;
    this.timer = setTimeout(this.tick, Math.max(0, this.nextAt - performance.now()));
  };

  private sendObs(now: number): void {
    if (this.step === this.o.episodeSteps) this.endEpisode(now, false);
    const seq = this.sendMsg({
      type: 'obs',
      seq: 0,
      time: 0,
      episode: this.episode,
      step: this.step,
      obs: this.obs,
      ...(this.step > 0 ? this.prev : {}),
    });
    this.pending.set(seq, now);
    this.obsEpisode.set(seq, this.episode);
    this.report.sent++;
    this.step++;
  }

  private endEpisode(now: number, last: boolean): void {
    this.sendMsg({
      type: 'episode_end',
      seq: 0,
      time: 0,
      episode: this.episode,
      success: true,
      terminated: false,
      truncated: true,
      reward: 0.5,
      length: this.step,
    });
    this.report.episodes.push({ episode: this.episode, steps: this.step, endedAt: now - this.report.startedAt });
    this.step = 0;
    if (last) return;
    this.episode++;
    this.sendMsg({ type: 'episode_start', seq: 0, time: 0, episode: this.episode, seed: this.episode });
  }

  /** Observations older than the deadline are missed. */
  private sweep(now: number): void {
    for (const [seq, t0] of this.pending) {
      if (now - t0 <= this.o.deadlineMs) break;
      this.pending.delete(seq);
      this.miss(t0);
    }
  }

  private miss(t0: number): void {
    this.report.missed++;
    this.report.missedAt.push(t0 - this.report.startedAt);
  }

  private answered(seq: number, ok: boolean): void {
    const episode = this.obsEpisode.get(seq);
    this.obsEpisode.delete(seq);
    if (!ok && episode !== undefined) this.report.refused[episode] = (this.report.refused[episode] ?? 0) + 1;
    const t0 = this.pending.get(seq);
    if (t0 === undefined) {
      if (ok) this.report.late++; // already counted missed
      return;
    }
    this.pending.delete(seq);
    const rtt = performance.now() - t0;
    if (!ok) this.miss(t0);
    else if (rtt > this.o.deadlineMs) {
      this.miss(t0);
      this.report.late++;
    } else {
      this.report.answered++;
      this.report.rttMs.push(rtt);
      this.report.answeredAt.push(t0 - this.report.startedAt);
    }
  }

  private async receive(): Promise<void> {
    try {
      for await (const [frame] of this.sock) {
        if (this.o.mode === 'raw') {
          const seq = frame.length >= 4 ? frame.readUInt32LE(0) : -1;
          if (seq === 0) this.waiter?.(null);
          else this.answered(seq, true);
          continue;
        }
        let m: ServerMessage;
        try {
          m = decodeServerMessage(frame);
        } catch {
          this.report.errors['(undecodable reply)'] = (this.report.errors['(undecodable reply)'] ?? 0) + 1;
          continue;
        }
        if (m.type === 'action') this.answered(m.reply_to, true);
        else if (m.type === 'welcome') {
          this.session = m.session;
          this.waiter?.(null);
        } else if (m.type === 'error') {
          this.report.errors[m.code] = (this.report.errors[m.code] ?? 0) + 1;
          if (m.reply_to !== undefined) this.answered(m.reply_to, false);
          if (m.fatal) {
            this.fatal ??= `${m.code}: ${m.message}`;
            this.waiter?.(new Error(`robot ${this.o.robotId} refused: ${m.code}: ${m.message}`));
          }
        }
      }
    } catch {
      // closed
    }
  }

  private sendMsg(m: Parameters<typeof encode>[0]): number {
    m.seq = ++this.seq;
    m.time = Date.now() / 1000;
    this.push(encode(m));
    return m.seq;
  }

  private sendRaw(seq: number): void {
    const f = Buffer.from(this.rawFrame);
    f.writeUInt32LE(seq, 0);
    this.push(f);
  }

  /** zeromq.js allows one send in flight per socket: queue behind it (bounded). */
  private push(frame: Buffer): void {
    this.lastSent = Date.now();
    if (this.sending) {
      if (this.out.length >= 1000) this.sendDropped++;
      else this.out.push(frame);
      return;
    }
    this.sending = true;
    void (async () => {
      let f: Buffer | undefined = frame;
      try {
        while (f) {
          await this.sock.send(f);
          f = this.out.shift();
        }
      } catch {
        // closed
      } finally {
        this.sending = false;
      }
    })();
  }

  /**
   * Stop the loop, give what is in flight its deadline, then (server mode) end the episode in
   * progress and say bye. Returns the report.
   */
  async stop(): Promise<RobotReport> {
    if (!this.running) return this.report;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    const stoppedAt = performance.now();
    this.report.runMs = stoppedAt - this.report.startedAt;
    while (this.pending.size > 0 && performance.now() - stoppedAt < this.o.deadlineMs + 5) await sleep(5);
    this.sweep(Infinity);
    if (this.o.mode === 'server' && !this.fatal) {
      if (this.step > 0) this.endEpisode(performance.now(), true);
      this.sendMsg({ type: 'bye', seq: 0, time: 0 });
    }
    const t = Date.now();
    while ((this.sending || this.out.length > 0) && Date.now() - t < 2000) await sleep(5);
    return this.report;
  }

  async close(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.keepAlive) clearInterval(this.keepAlive);
    // Let the bye leave (libzmq sends in the background after close for up to the linger).
    this.sock.linger = 500;
    this.sock.close();
    await this.loop;
  }
}

/**
 * A robot on the real `RobotClient` (reconnection with backoff, hello with resume, holding the safe
 * action), driven at `hz` on an absolute schedule; misses are the client's own (deadline, holding).
 */
export class ClientRobot {
  readonly report: RobotReport;
  private running = false;
  private loop: Promise<void> | null = null;
  private readonly obs: Float32Array;
  private readonly applied: Float32Array;

  private constructor(
    readonly client: RobotClient,
    private readonly hz: number,
    private readonly episodeSteps: number,
    robotId: string,
    contract: Contract,
  ) {
    this.report = emptyReport(robotId);
    this.obs = Float32Array.from({ length: totalSize(contract.obs) }, (_, i) => ((i * 5) % 11) / 11 - 0.5);
    this.applied = new Float32Array(totalSize(contract.action)).fill(0.1);
  }

  static async connect(opts: RobotClientOptions & { hz: number; episodeSteps: number }): Promise<ClientRobot> {
    const client = await RobotClient.connect({ controlHz: opts.hz, ...opts });
    return new ClientRobot(client, opts.hz, opts.episodeSteps, opts.robotId, opts.contract);
  }

  start(at = performance.now()): void {
    this.running = true;
    this.report.startedAt = at;
    this.loop = this.run(at);
  }

  private async run(at: number): Promise<void> {
    const period = 1000 / this.hz;
    let next = at;
    let episode = 0;
    let step = 0;
    const rep = this.report;
    await sleep(Math.max(0, at - performance.now()));
    await this.client.startEpisode(episode, episode);
    while (this.running) {
      if (step === this.episodeSteps) {
        // An episode ends for the server only if the robot could tell it (RobotClient drops it when not connected).
        if (this.client.connected)
          rep.episodes.push({ episode, steps: step, endedAt: performance.now() - rep.startedAt });
        await this.client.endEpisode({
          episode,
          success: true,
          terminated: false,
          truncated: true,
          reward: 0.5,
          length: step,
        });
        episode++;
        step = 0;
        await this.client.startEpisode(episode, episode);
      }
      const t0 = performance.now();
      const r = await this.client.act(
        episode,
        step,
        this.obs,
        step > 0 ? { reward: 0.5, terminated: false, truncated: false, applied: this.applied } : undefined,
      );
      rep.sent++;
      if (r.missed) {
        rep.missed++;
        rep.missedAt.push(t0 - rep.startedAt);
      } else {
        rep.answered++;
        rep.rttMs.push(r.latencyMs);
        rep.answeredAt.push(t0 - rep.startedAt);
      }
      step++;
      next += period;
      const now = performance.now();
      if (next < now) next = now;
      else await sleep(next - now);
    }
    rep.runMs = performance.now() - rep.startedAt;
    if (step > 0 && this.client.connected) {
      rep.episodes.push({ episode, steps: step, endedAt: performance.now() - rep.startedAt });
      await this.client.endEpisode({
        episode,
        success: true,
        terminated: false,
        truncated: true,
        reward: 0.5,
        length: step,
      });
    }
  }

  async stop(): Promise<RobotReport> {
    this.running = false;
    await this.loop;
    return this.report;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Summaries

export interface LoadSummary {
  robots: number;
  sent: number;
  /** Ticks the robots should have sent in their run (hz × run time). */
  expected: number;
  answered: number;
  missed: number;
  late: number;
  missedFraction: number;
  /** Robot-seconds (whole 1-s windows of a robot's run) in which the robot got no answer at all. */
  emptyWindows: number;
  windows: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: Record<string, number>;
}

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.floor(q * (sorted.length - 1))] : NaN;
}

/** Whole 1-second windows of a robot's run (from `fromMs` to `toMs`, ms since its start) with no answered observation. */
export function emptyWindows(r: RobotReport, fromMs = 0, toMs = r.runMs): { empty: number[]; windows: number } {
  const n = Math.floor((toMs - fromMs) / 1000);
  const counts = new Array<number>(Math.max(0, n)).fill(0);
  for (const t of r.answeredAt) {
    const k = Math.floor((t - fromMs) / 1000);
    if (k >= 0 && k < n) counts[k]++;
  }
  const empty: number[] = [];
  counts.forEach((c, k) => c === 0 && empty.push(k));
  return { empty, windows: n };
}

export function summarize(reports: RobotReport[], hz: number): LoadSummary {
  const rtt = reports.flatMap((r) => r.rttMs).sort((a, b) => a - b);
  const errors: Record<string, number> = {};
  for (const r of reports) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  const sent = reports.reduce((s, r) => s + r.sent, 0);
  const missed = reports.reduce((s, r) => s + r.missed, 0);
  let empty = 0;
  let windows = 0;
  for (const r of reports) {
    const w = emptyWindows(r);
    empty += w.empty.length;
    windows += w.windows;
  }
  return {
    robots: reports.length,
    sent,
    expected: Math.round(reports.reduce((s, r) => s + (r.runMs / 1000) * hz, 0)),
    answered: reports.reduce((s, r) => s + r.answered, 0),
    missed,
    late: reports.reduce((s, r) => s + r.late, 0),
    missedFraction: sent ? missed / sent : NaN,
    emptyWindows: empty,
    windows,
    p50Ms: quantile(rtt, 0.5),
    p99Ms: quantile(rtt, 0.99),
    maxMs: rtt.length ? rtt[rtt.length - 1] : NaN,
    errors,
  };
}

/** Connect `n` paced robots (one after the other, or all at once) and start them together. */
export async function pacedRobots(
  n: number,
  base: Omit<PacedRobotOptions, 'robotId'>,
  opts: { prefix?: string; together?: boolean } = {},
): Promise<PacedRobot[]> {
  const ids = Array.from({ length: n }, (_, i) => `${opts.prefix ?? 'robot'}-${i}`);
  if (opts.together) return Promise.all(ids.map((robotId) => PacedRobot.connect({ ...base, robotId })));
  const out: PacedRobot[] = [];
  for (const robotId of ids) out.push(await PacedRobot.connect({ ...base, robotId }));
  return out;
}

/** Start robots together, their ticks spread over one period (robots are not in lock-step). */
export function startAll(robots: { start(at?: number): void }[], hz: number): number {
  const at = performance.now() + 20;
  robots.forEach((r, i) => r.start(at + ((i / robots.length) * 1000) / hz));
  return at;
}

// ---------------------------------------------------------------------------------------------
// Attackers

/** Yield to timers and I/O (the attackers share the event loop with the robots and maybe the server). */
const yieldLoop = () => new Promise<void>((r) => setImmediate(r));

export interface FloodResult {
  sent: number;
  ms: number;
  /** The flooder's session (from the one reply it reads, the welcome; empty for the raw flood). */
  session: string;
}

/**
 * One robot session sending `count` observations (steps 0, 1, 2, ... of one episode) as fast as
 * its socket takes them, never reading what comes back. Bounded by `maxMs`.
 */
export async function flood(
  endpoint: string,
  contract: Contract,
  count: number,
  opts: { robotId?: string; maxMs?: number } = {},
): Promise<FloodResult & { close(): Promise<void> }> {
  const sock = new zmq.Dealer({ linger: 0, receiveTimeout: 10_000 });
  sock.connect(endpoint);
  let seq = 0;
  const send = (m: Parameters<typeof encode>[0]) => {
    m.seq = ++seq;
    m.time = Date.now() / 1000;
    return sock.send(encode(m));
  };
  await send({
    type: 'hello',
    seq: 0,
    time: 0,
    protocol: PROTOCOL_VERSION,
    robot_id: opts.robotId ?? 'flooder',
    contract,
  });
  let session = '';
  for (;;) {
    const [frame] = await sock.receive();
    const m = decodeServerMessage(frame);
    if (m.type === 'welcome') {
      session = m.session;
      break;
    }
    if (m.type === 'error' && m.fatal) throw new Error(`flooder refused: ${m.code}: ${m.message}`);
  }
  await send({ type: 'episode_start', seq: 0, time: 0, episode: 0 });
  const obs = new Float32Array(totalSize(contract.obs)).fill(0.25);
  const prev = prevFields(totalSize(contract.action));
  const t0 = performance.now();
  const maxMs = opts.maxMs ?? 30_000;
  let sent = 0;
  for (; sent < count && performance.now() - t0 < maxMs; sent++) {
    await send({ type: 'obs', seq: 0, time: 0, episode: 0, step: sent, obs, ...(sent > 0 ? prev : {}) });
    if (sent % 64 === 63) await yieldLoop();
  }
  return {
    sent,
    ms: performance.now() - t0,
    session,
    async close() {
      sock.close();
    },
  };
}

/** Same-sized frames to the raw echo, as fast as taken, never read (the raw counterpart of `flood`). */
export async function rawFlood(
  endpoint: string,
  frameBytes: number,
  count: number,
  opts: { maxMs?: number } = {},
): Promise<FloodResult & { close(): Promise<void> }> {
  const sock = new zmq.Dealer({ linger: 0 });
  sock.connect(endpoint);
  const frame = Buffer.alloc(frameBytes, 5);
  frame.writeUInt32LE(0xffffffff, 0);
  const t0 = performance.now();
  const maxMs = opts.maxMs ?? 30_000;
  let sent = 0;
  for (; sent < count && performance.now() - t0 < maxMs; sent++) {
    await sock.send(frame);
    if (sent % 64 === 63) await yieldLoop();
  }
  return { sent, ms: performance.now() - t0, session: '', close: async () => sock.close() };
}

/** Plain MessagePack, for frames `encode` would not write (it always writes a map). */
const msgpack = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GarbageResult {
  sent: number;
  ms: number;
  /** Frames of each kind sent. */
  kinds: Record<string, number>;
  /** Replies read back (errors, mostly). */
  replies: number;
  /** Oversized frames (libzmq closes the connection; the DEALER reconnects by itself). */
  oversized: number;
}

/**
 * `count` frames that are not valid robot messages, alternating between a peer that never said
 * hello and one that did (its errors are not fatal): random bytes, MessagePack that is not a map,
 * maps of unknown type or with bad fields, multipart messages, empty frames, cut-off observations,
 * extension types, and now and then a frame over the size limit. Replies are read and counted.
 */
export async function garbage(
  endpoint: string,
  contract: Contract,
  count: number,
  opts: { seed?: number; maxMs?: number; oversizedEvery?: number } = {},
): Promise<GarbageResult> {
  const rnd = prng(opts.seed ?? 42);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)));
  const noSession = new zmq.Dealer({ linger: 0 });
  const withSession = new zmq.Dealer({ linger: 0, receiveTimeout: 10_000 });
  noSession.connect(endpoint);
  withSession.connect(endpoint);
  let replies = 0;
  const drain = (s: zmq.Dealer) =>
    (async () => {
      try {
        for await (const _ of s) replies++;
      } catch {
        // closed
      }
    })();
  // The session: a valid hello first (its welcome is the first reply).
  let seq = 0;
  await withSession.send(
    encode({
      type: 'hello',
      seq: ++seq,
      time: Date.now() / 1000,
      protocol: PROTOCOL_VERSION,
      robot_id: 'garbage-sender',
      contract,
    }),
  );
  await withSession.receive();
  const loops = [drain(noSession), drain(withSession)];
  const valid = encode({
    type: 'obs',
    seq: 1,
    time: Date.now() / 1000,
    episode: 0,
    step: 0,
    obs: new Float32Array(totalSize(contract.obs)),
  });
  const kinds: Record<string, number> = {};
  const oversizedEvery = opts.oversizedEvery ?? 2000;
  let oversized = 0;
  const t0 = performance.now();
  const maxMs = opts.maxMs ?? 30_000;
  let sent = 0;
  for (; sent < count && performance.now() - t0 < maxMs; sent++) {
    const sock = sent % 2 === 0 ? noSession : withSession;
    let kind: string;
    let frames: Buffer[];
    if (oversizedEvery > 0 && sent % oversizedEvery === oversizedEvery - 1) {
      kind = 'oversized';
      frames = [Buffer.alloc((1 << 20) + 4096, 0x80)];
      oversized++;
    } else {
      const k = Math.floor(rnd() * 9);
      switch (k) {
        case 0:
          kind = 'random bytes';
          frames = [bytes(1 + Math.floor(rnd() * 300))];
          break;
        case 1:
          kind = 'not a map';
          frames = [
            [
              msgpack.pack(7),
              msgpack.pack('obs'),
              msgpack.pack([1, 'two', 3]),
              msgpack.pack(new Uint8Array(5)),
              Buffer.from([0xc0]),
            ][Math.floor(rnd() * 5)],
          ];
          break;
        case 2:
          kind = 'unknown type';
          frames = [encode({ type: `x${Math.floor(rnd() * 1000)}`, seq: ++seq, time: 0 } as never)];
          break;
        case 3:
          kind = 'bad fields';
          frames = [
            [
              encode({ type: 'obs', seq: 'one', time: 0, episode: 0, step: 0, obs: new Float32Array(3) } as never),
              encode({ type: 'obs', seq: ++seq, time: 0, episode: -1, step: 0, obs: new Float32Array(3) } as never),
              encode({ type: 'obs', seq: ++seq, time: 0, episode: 0, step: 0, obs: new Float32Array(3) } as never),
              encode({ type: 'hello', seq: 1, time: 0, protocol: 'one' } as never),
              encode({ type: 'episode_end', seq: ++seq, time: 0 } as never),
            ][Math.floor(rnd() * 5)],
          ];
          break;
        case 4:
          kind = 'multipart';
          frames = [bytes(8), bytes(16), ...(rnd() < 0.5 ? [bytes(4)] : [])];
          break;
        case 5:
          kind = 'empty';
          frames = [Buffer.alloc(0)];
          break;
        case 6:
          kind = 'cut-off obs';
          frames = [valid.subarray(0, 1 + Math.floor(rnd() * (valid.length - 2)))];
          break;
        case 7:
          kind = 'extension / reserved byte';
          frames = [rnd() < 0.5 ? Buffer.from([0xd6, 0xff, 0, 0, 0, 1]) : Buffer.from([0xc1])];
          break;
        default:
          kind = 'bytes after a map';
          frames = [Buffer.concat([valid, bytes(3)])];
          break;
      }
    }
    kinds[kind] = (kinds[kind] ?? 0) + 1;
    try {
      await sock.send(frames.length === 1 ? frames[0] : frames);
    } catch {
      // A socket busy reconnecting after an oversized frame: counted as sent all the same.
    }
    if (sent % 64 === 63) await yieldLoop();
  }
  const ms = performance.now() - t0;
  await sleep(200);
  noSession.close();
  withSession.close();
  await Promise.all(loops);
  return { sent, ms, kinds, replies, oversized };
}

/** The raw counterpart of `garbage`: the same number of random frames to the raw echo, replies read. */
export async function rawGarbage(
  endpoint: string,
  count: number,
  opts: { seed?: number } = {},
): Promise<GarbageResult> {
  const rnd = prng(opts.seed ?? 42);
  const sock = new zmq.Dealer({ linger: 0 });
  sock.connect(endpoint);
  let replies = 0;
  const loop = (async () => {
    try {
      for await (const _ of sock) replies++;
    } catch {
      // closed
    }
  })();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const f = Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256)));
    if (f.length >= 4) f.writeUInt32LE(0xffffffff, 0);
    await sock.send(f);
    if (i % 64 === 63) await yieldLoop();
  }
  const ms = performance.now() - t0;
  await sleep(200);
  sock.close();
  await loop;
  return { sent: count, ms, kinds: { 'random bytes': count }, replies, oversized: 0 };
}

// ---------------------------------------------------------------------------------------------
// Targets

/** Ask any server for its figures with the `stats` message (no session needed). */
export async function queryStats(endpoint: string, timeoutMs = 3000): Promise<StatsMsg> {
  const sock = new zmq.Dealer({ linger: 0, receiveTimeout: timeoutMs });
  sock.connect(endpoint);
  try {
    await sock.send(encode({ type: 'stats', seq: 1, time: Date.now() / 1000 }));
    const [frame] = await sock.receive();
    const m = decodeServerMessage(frame);
    if (m.type !== 'stats') throw new Error(`stats: expected a stats answer, got ${m.type}`);
    return m;
  } finally {
    sock.close();
  }
}

export interface Target {
  kind: 'server' | 'raw';
  endpoint: string;
  close(): Promise<void>;
}

/** The policy server in this process (retrying the bind while a just-closed port is still busy). */
export async function inProcessServer(opts: PolicyServerOptions): Promise<Target & { server: PolicyServer }> {
  for (let attempt = 0; ; attempt++) {
    try {
      const server = await PolicyServer.start(opts);
      return { kind: 'server', endpoint: server.endpoint, server, close: () => server.close() };
    } catch (e) {
      if (attempt >= 20) throw e;
      await sleep(50);
    }
  }
}

/**
 * A child process (`sim2real serve` or the raw echo): started and waited for until it logs its
 * endpoint; stopped with SIGINT, or killed with SIGKILL.
 */
export class ChildTarget implements Target {
  stderr = '';
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly kind: 'server' | 'raw',
    readonly child: ChildProcess,
    readonly endpoint: string,
    stderr: string,
  ) {
    this.stderr = stderr;
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null)
        resolve({ code: child.exitCode, signal: child.signalCode });
      else child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    child.stderr!.on('data', (d) => (this.stderr += String(d)));
  }

  /** `sim2real serve ARGS` (dist/src/cli/main.js). */
  static serve(args: string[], timeoutMs = 60_000): Promise<ChildTarget> {
    return ChildTarget.spawn('server', CLI, ['serve', ...args], / serving .* on (tcp:\/\/\S+)/, timeoutMs);
  }

  /** The raw ROUTER echo (dist/bench/raw-echo.js). */
  static rawEcho(bind: string, replyBytes: number, timeoutMs = 30_000): Promise<ChildTarget> {
    return ChildTarget.spawn('raw', RAW_ECHO, [bind, String(replyBytes)], /raw echo on (tcp:\/\/\S+)/, timeoutMs);
  }

  private static async spawn(
    kind: 'server' | 'raw',
    script: string,
    args: string[],
    ready: RegExp,
    timeoutMs: number,
  ): Promise<ChildTarget> {
    if (!existsSync(script)) throw new Error(`${script} is missing: run \`npm run build\` first`);
    // A port just freed by a killed process may take a moment: retry a few times.
    for (let attempt = 0; ; attempt++) {
      const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      try {
        const endpoint = await new Promise<string>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`${script} did not start within ${timeoutMs} ms: ${stderr}`)),
            timeoutMs,
          );
          child.stderr!.on('data', (d) => {
            stderr += String(d);
            const m = ready.exec(stderr);
            if (m) {
              clearTimeout(timer);
              resolve(m[1]);
            }
          });
          child.once('exit', (code) => {
            clearTimeout(timer);
            reject(new Error(`${script} exited with ${code} before it was ready: ${stderr}`));
          });
        });
        return new ChildTarget(kind, child, endpoint, stderr);
      } catch (e) {
        child.kill('SIGKILL');
        if (attempt >= 3 || !/address already in use|EADDRINUSE/i.test(stderr)) throw e;
        await sleep(200);
      }
    }
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** kill -9: no chance to close anything. */
  async kill9(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Ctrl-C (the server closes its sessions and recording); resolves with how it exited. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.alive) this.child.kill('SIGINT');
    return this.exited;
  }

  async close(): Promise<void> {
    await this.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Recordings

export interface RecordingCheck {
  files: number;
  /** Episodes the well-behaved robots ended. */
  completed: number;
  /** Of those, recorded with their end record and every step. */
  recorded: number;
  /** Completed episodes missing or not whole (every step served) in the recording: `robot#episode: why`. */
  problems: string[];
  /** Episodes in the files without an end record (any robot). */
  incomplete: number;
  /** Files read without an index (a writer that did not close them). */
  unindexed: number;
}

/**
 * Read every recording in `dir` and check that each episode the robots ended is there, whole:
 * its end record and `steps` steps (`minSteps(robot, episode)` may lower that for an episode
 * recorded only in part).
 */
export async function checkRecording(
  dir: string,
  reports: RobotReport[],
  opts: { only?: (robotId: string, e: RobotReport['episodes'][number]) => boolean } = {},
): Promise<RecordingCheck> {
  const { files, episodes } = await readEpisodes(dir);
  const byKey = new Map<string, (typeof episodes)[number][]>();
  for (const e of episodes) {
    const key = `${String(e.start.randomization.robot_id)}#${String(e.start.randomization.robotEpisode)}`;
    byKey.set(key, [...(byKey.get(key) ?? []), e]);
  }
  const problems: string[] = [];
  let completed = 0;
  let recorded = 0;
  for (const r of reports) {
    for (const ep of r.episodes) {
      if (opts.only && !opts.only(r.robotId, ep)) continue;
      completed++;
      const key = `${r.robotId}#${ep.episode}`;
      const found = byKey.get(key) ?? [];
      // Observations the server refused (dropped as stale under `overloaded`, say) were not served, nor recorded.
      const served = ep.steps - (r.refused[ep.episode] ?? 0);
      const whole = found.find((e) => e.end && (e.start.partial ? e.steps.length > 0 : e.steps.length === served));
      if (whole) recorded++;
      else
        problems.push(
          `${key}: ${found.length === 0 ? 'not recorded' : found.map((e) => `${e.end ? 'ended' : 'no end'}, ${e.steps.length} of ${served} steps${e.start.partial ? ` (partial from ${e.start.partial.fromStep})` : ''}`).join('; ')}`,
        );
    }
  }
  return {
    files: files.length,
    completed,
    recorded,
    problems,
    incomplete: files.reduce((s, f) => s + f.incompleteEpisodes, 0),
    unindexed: files.filter((f) => !f.indexed).length,
  };
}
