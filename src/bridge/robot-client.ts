/**
 * The robot side of the bridge (runs on the robot): connect, handshake, `act(obs)` with a deadline,
 * heartbeats, reconnection with backoff after a server restart. Safety lives here: every action is
 * clamped to [-1, 1] (warning once) and reported as applied; a missed deadline applies the safe action
 * and flags the step; after `maxMisses` consecutive misses the robot holds the safe action until the
 * server answers again.
 */
import * as zmq from 'zeromq';
import { totalSize, type Contract } from '../sim/contract.js';
import { decodeServerMessage, encode } from './codec.js';
import { PROTOCOL_VERSION, type RobotMessage, type ServerMessage, type Welcome } from './messages.js';
import { configureCurveClient, type CurveClientKeys } from './curve.js';
import { runAt } from './clock.js';
import { checkEndpoint, isIpv6 } from './endpoint.js';

export interface RobotClientOptions {
  /** Server endpoint, e.g. `tcp://127.0.0.1:5555`. */
  server: string;
  robotId: string;
  contract: Contract;
  /** Normalised action applied when no action arrives in time. */
  safeAction: readonly number[];
  /** Time to wait for an action after sending an observation, ms. */
  deadlineMs: number;
  /** Consecutive misses after which the robot holds the safe action until the server is back (default 3). */
  maxMisses?: number;
  scenario?: string;
  /** The robot's control rate, Hz (sent in hello; recorded with served episodes). */
  controlHz?: number;
  curve?: CurveClientKeys;
  /** Reconnection backoff: first delay and cap, ms (default 100 → 5000, doubling). */
  backoffMs?: [number, number];
  /** How long connect() waits for the first welcome, ms (default 5000). */
  connectTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface ActResult {
  /** The normalised action to apply (clamped; the safe action on a miss). */
  action: Float32Array;
  /** True when the deadline passed (or the robot is holding safe) and `action` is the safe action. */
  missed: boolean;
  /** True while the robot holds the safe action after too many misses or a lost server. */
  holding: boolean;
  /** True when the server's action was outside [-1, 1] and got clamped. */
  clamped: boolean;
  policyId: string;
  policyVersion: number;
  /** Observation sent → action received, ms (NaN on a miss). */
  latencyMs: number;
}

export class RobotClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Pending {
  seq: number;
  /** `performance.now()` time after which an answer is too late. */
  deadline: number;
  resolve: (m: ServerMessage | null) => void;
  cancelTimer: () => void;
}

export class RobotClient {
  private sock: zmq.Dealer | null = null;
  private seq = 0;
  private lastSent = 0;
  private lastHeard = 0;
  private heartbeatMs = 250;
  private liveness = 4;
  private welcome: Welcome | null = null;
  /** The session of the last welcome: a reconnection asks for it back (hello.resume). */
  private sessionId: string | null = null;
  private pending: Pending | null = null;
  private welcomeWaiter: ((w: Welcome | Error) => void) | null = null;
  /** The last `duplicate_robot` refusal while waiting for a welcome: the reason given if none comes. */
  private duplicate: string | null = null;
  private misses = 0;
  private holdingSafe = false;
  private warnedClamp = false;
  private closed = false;
  private reconnecting: Promise<void> | null = null;
  private wakeBackoff: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly actSize: number;
  private readonly log: (line: string) => void;
  policyId = '';
  policyVersion = 0;
  /** Steps answered with the safe action because of a missed deadline. */
  missedSteps = 0;
  reconnects = 0;

  private constructor(private readonly opts: RobotClientOptions) {
    this.actSize = totalSize(opts.contract.action);
    if (opts.safeAction.length !== this.actSize)
      throw new RobotClientError(
        'bad_config',
        `safeAction: expected ${this.actSize} values, got ${opts.safeAction.length}`,
      );
    this.log = opts.log ?? (() => {});
  }

  /** Connect and handshake; rejects with the server's reason when refused (e.g. contract mismatch). */
  static async connect(opts: RobotClientOptions): Promise<RobotClient> {
    checkEndpoint(opts.server, 'server', { bind: false });
    const c = new RobotClient(opts);
    try {
      await c.handshake(opts.connectTimeoutMs ?? 5000);
    } catch (e) {
      // Refused or timed out: do not leave a socket behind that keeps reconnecting.
      c.closed = true;
      c.sock?.close();
      c.sock = null;
      throw e;
    }
    c.timer = setInterval(() => c.tick(), Math.max(10, Math.floor(c.heartbeatMs / 2)));
    return c;
  }

  get connected(): boolean {
    return this.welcome !== null;
  }

  /** The id of the session the server gave us (kept across reconnections when the server resumes it). */
  get session(): string | null {
    return this.sessionId;
  }

  get holding(): boolean {
    return this.holdingSafe;
  }

  private openSocket(): zmq.Dealer {
    this.sock?.close();
    // immediate: no queueing for a server that is not connected; sendTimeout 0: a send that cannot go
    // at once fails rather than waits (a control loop must never block on the network).
    const sock = new zmq.Dealer({
      linger: 0,
      immediate: true,
      sendHighWaterMark: 100,
      sendTimeout: 0,
      ipv6: isIpv6(this.opts.server),
    });
    if (this.opts.curve) {
      configureCurveClient(sock, this.opts.curve);
      // A CurveZMQ refusal reaches a client only as a monitor event; without this it looks like silence.
      sock.events.on('handshake:error:auth', (e) => {
        this.welcomeWaiter?.(
          new RobotClientError(
            'not_allowed',
            `${this.opts.server} refused our CurveZMQ key (ZAP status ${e.error.status}): is robot ${this.opts.robotId}'s public key on the server's --allow list?`,
          ),
        );
      });
      sock.events.on('handshake:error:protocol', (e) => {
        this.welcomeWaiter?.(
          new RobotClientError(
            'handshake',
            `${this.opts.server}: CurveZMQ handshake failed (${e.error.message}): is --server-key the server's public key?`,
          ),
        );
      });
    }
    sock.connect(this.opts.server);
    this.sock = sock;
    void this.receive(sock);
    return sock;
  }

  private async handshake(timeoutMs: number): Promise<void> {
    this.welcome = null;
    this.seq = 0;
    this.duplicate = null;
    this.openSocket();
    const got = new Promise<Welcome | Error>((resolve) => {
      this.welcomeWaiter = resolve;
      setTimeout(() => {
        // Refused as a duplicate all along: another robot uses this id (or a stale session of ours outlived the wait).
        if (this.duplicate)
          resolve(
            new RobotClientError(
              'duplicate_robot',
              `${this.opts.server} refused robot ${this.opts.robotId} for ${timeoutMs} ms: ${this.duplicate}`,
            ),
          );
        else resolve(new RobotClientError('timeout', `no welcome from ${this.opts.server} within ${timeoutMs} ms`));
      }, timeoutMs).unref();
    });
    // The DEALER accepts messages only once connected (immediate mode), and a hello can be lost to
    // a server that is just starting: say hello as soon as connected, and again every second until
    // welcomed (the server answers a repeated hello with the same session).
    const hello = () => {
      this.seq = 0;
      this.sendMsg({
        type: 'hello',
        seq: 0,
        time: 0,
        protocol: PROTOCOL_VERSION,
        robot_id: this.opts.robotId,
        contract: this.opts.contract,
        ...(this.opts.scenario ? { scenario: this.opts.scenario } : {}),
        ...(this.opts.controlHz ? { control_hz: this.opts.controlHz } : {}),
        ...(this.sessionId ? { resume: this.sessionId } : {}),
      });
    };
    let settled = false;
    void got.then(() => (settled = true));
    void (async () => {
      let wait = 5;
      while (!settled && !this.closed) {
        if (this.sock?.writable) {
          hello();
          wait = 1000;
        }
        await new Promise((r) => setTimeout(r, wait));
      }
    })();
    const w = await got;
    this.welcomeWaiter = null;
    if (w instanceof Error) throw w;
    this.welcome = w;
    this.sessionId = w.session;
    this.heartbeatMs = w.heartbeat_ms;
    this.liveness = w.liveness;
    this.policyId = w.policy_id;
    this.policyVersion = w.policy_version;
    this.lastHeard = Date.now();
    this.log(
      `connected to ${this.opts.server}: policy ${w.policy_id} v${w.policy_version}${w.resumed ? ' (session resumed)' : ''}`,
    );
  }

  private async receive(sock: zmq.Dealer): Promise<void> {
    try {
      for await (const [frame] of sock) {
        if (sock !== this.sock) break;
        let m: ServerMessage;
        try {
          m = decodeServerMessage(frame);
        } catch (e) {
          this.log(`ignored a bad frame from the server: ${(e as Error).message}`);
          continue;
        }
        this.lastHeard = Date.now();
        this.onMessage(m);
      }
    } catch {
      // Socket closed.
    }
  }

  private onMessage(m: ServerMessage): void {
    switch (m.type) {
      case 'welcome':
        this.welcomeWaiter?.(m);
        return;
      case 'action':
        // An answer after the deadline is discarded even when the deadline's wake-up has not run yet
        // (a busy event loop): the robot must not act on it.
        if (this.pending && m.reply_to === this.pending.seq)
          this.settle(performance.now() <= this.pending.deadline ? m : null);
        // Otherwise a late answer to a step already given up on: discarded.
        return;
      case 'policy':
        this.policyId = m.policy_id;
        this.policyVersion = m.policy_version;
        this.log(`server switched to policy ${m.policy_id} v${m.policy_version}`);
        return;
      case 'error':
        this.log(`server error ${m.code}: ${m.message}`);
        // A stale session of this robot (it restarted, or a reconnection's welcome came too late)
        // times out within heartbeat_ms × liveness: keep saying hello until then.
        if (this.welcomeWaiter && m.fatal && m.code === 'duplicate_robot') {
          this.duplicate = m.message;
          return;
        }
        if (this.welcomeWaiter && m.fatal)
          this.welcomeWaiter(
            new RobotClientError(m.code, `${this.opts.server} refused robot ${this.opts.robotId}: ${m.message}`),
          );
        else if (m.fatal) this.lostServer(`fatal error ${m.code}`);
        if (this.pending && m.reply_to === this.pending.seq) this.settle(null);
        return;
      default:
        return;
    }
  }

  private settle(m: ServerMessage | null): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    p.cancelTimer();
    p.resolve(m);
  }

  private sendMsg(m: RobotMessage): number {
    m.seq = ++this.seq;
    m.time = Date.now() / 1000;
    this.lastSent = Date.now();
    // With no server connected a DEALER cannot queue (immediate mode): drop rather than block; the
    // deadline and liveness logic handle the silence.
    const sock = this.sock;
    if (sock?.writable) {
      try {
        sock.send(encode(m)).catch(() => undefined);
      } catch {
        // Busy or closing: dropped like any message to an absent server.
      }
    }
    return m.seq;
  }

  private tick(): void {
    if (this.closed || !this.welcome) return;
    const now = Date.now();
    if (now - this.lastHeard > this.heartbeatMs * this.liveness)
      this.lostServer(`no word from the server for ${now - this.lastHeard} ms`);
    else if (now - this.lastSent >= this.heartbeatMs) this.sendMsg({ type: 'heartbeat', seq: 0, time: 0 });
  }

  /** The server is gone: hold safe and reconnect with exponential backoff until it answers. */
  private lostServer(why: string): void {
    if (this.reconnecting || this.closed) return;
    this.log(`lost the server (${why}); holding the safe action and reconnecting`);
    this.welcome = null;
    this.holdingSafe = true;
    const [first, cap] = this.opts.backoffMs ?? [100, 5000];
    this.reconnecting = (async () => {
      let delay = first;
      while (!this.closed) {
        try {
          await this.handshake(Math.max(delay, 500));
          this.reconnects++;
          this.holdingSafe = false;
          this.misses = 0;
          break;
        } catch (e) {
          if (e instanceof RobotClientError && e.code !== 'timeout') this.log(`reconnect refused: ${e.message}`);
          if (this.closed) break;
          await new Promise<void>((r) => {
            const t = setTimeout(r, delay);
            this.wakeBackoff = () => {
              clearTimeout(t);
              r();
            };
          });
          this.wakeBackoff = null;
          delay = Math.min(cap, delay * 2);
        }
      }
      this.reconnecting = null;
    })();
  }

  async startEpisode(episode: number, seed?: number, info?: Record<string, unknown>): Promise<void> {
    if (this.welcome)
      this.sendMsg({
        type: 'episode_start',
        seq: 0,
        time: 0,
        episode,
        ...(seed !== undefined ? { seed } : {}),
        ...(info ? { info } : {}),
      });
  }

  async endEpisode(e: {
    episode: number;
    success: boolean;
    terminated: boolean;
    truncated: boolean;
    reward?: number;
    return?: number;
    length?: number;
  }): Promise<void> {
    if (this.welcome) this.sendMsg({ type: 'episode_end', seq: 0, time: 0, ...e });
  }

  private safe(): Float32Array {
    return Float32Array.from(this.opts.safeAction);
  }

  /**
   * Send an observation (with the previous step's reward, flags and applied action) and wait up to
   * the deadline for the action.
   */
  async act(
    episode: number,
    step: number,
    obs: Float32Array,
    prev?: { reward: number; terminated: boolean; truncated: boolean; applied: Float32Array },
  ): Promise<ActResult> {
    const base = { policyId: this.policyId, policyVersion: this.policyVersion };
    if (!this.welcome || this.holdingSafe) {
      this.missedSteps++;
      return { action: this.safe(), missed: true, holding: true, clamped: false, latencyMs: NaN, ...base };
    }
    const t0 = performance.now();
    const seq = this.sendMsg({
      type: 'obs',
      seq: 0,
      time: 0,
      episode,
      step,
      obs,
      ...(prev
        ? { reward: prev.reward, terminated: prev.terminated, truncated: prev.truncated, applied: prev.applied }
        : {}),
    });
    const deadline = t0 + this.opts.deadlineMs;
    const reply = await new Promise<ServerMessage | null>((resolve) => {
      const p: Pending = { seq, deadline, resolve, cancelTimer: () => {} };
      this.pending = p;
      p.cancelTimer = runAt(deadline, () => this.pending === p && this.settle(null));
    });
    if (reply?.type !== 'action' || reply.action.length !== this.actSize) {
      this.missedSteps++;
      this.misses++;
      if (this.misses >= (this.opts.maxMisses ?? 3) && !this.holdingSafe) {
        this.holdingSafe = true;
        this.log(`${this.misses} consecutive missed deadlines: holding the safe action until the server answers`);
        this.lostServer(`${this.misses} missed deadlines`);
      }
      return { action: this.safe(), missed: true, holding: this.holdingSafe, clamped: false, latencyMs: NaN, ...base };
    }
    this.misses = 0;
    let clamped = false;
    const a = reply.action;
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (!Number.isFinite(v)) {
        a[i] = this.opts.safeAction[i];
        clamped = true;
      } else if (v > 1 || v < -1) {
        a[i] = v > 1 ? 1 : -1;
        clamped = true;
      }
    }
    if (clamped && !this.warnedClamp) {
      this.warnedClamp = true;
      this.log('server action outside [-1, 1] clamped (warning once)');
    }
    return {
      action: a,
      missed: false,
      holding: false,
      clamped,
      latencyMs: performance.now() - t0,
      policyId: reply.policy_id,
      policyVersion: reply.policy_version,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.welcome) this.sendMsg({ type: 'bye', seq: 0, time: 0 });
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    // Cut a reconnection short: stop waiting for a welcome and for the next backoff.
    this.welcomeWaiter?.(new RobotClientError('closed', 'the client was closed'));
    this.wakeBackoff?.();
    await this.reconnecting;
    // Let what is still queued (the last episode_end, the bye) leave: libzmq sends it in the
    // background for up to 200 ms after close (linger 0 would drop it on a busy machine).
    const sock = this.sock;
    this.sock = null;
    if (sock) {
      sock.linger = 200;
      sock.close();
    }
  }
}
