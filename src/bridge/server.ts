/**
 * The policy server (DESIGN.md §6): a ZeroMQ ROUTER serving many robots at once, each with its own
 * session (sequence numbers, liveness, episode recording). Bad input gets an error reply and a log
 * line; it never stops the server or disturbs other robots. A deployed policy is swapped in between
 * two control steps and announced to every robot.
 */
import * as zmq from 'zeromq';
import { randomUUID } from 'node:crypto';
import { contractMismatch, totalSize, type Contract } from '../sim/contract.js';
import type { Policy } from '../policy/policy.js';
import { ProtocolError, decodeRobotMessage, encode } from './codec.js';
import { PROTOCOL_VERSION, MAX_FRAME_BYTES, type ErrorCode, type Hello, type RobotMessage, type ServerMessage } from './messages.js';
import { PolicySlot } from './served-policy.js';
import { isStepAware } from './replay-policy.js';
import { RecorderThread, type SessionRecording } from './recorder-thread.js';
import { checkBindSecurity, isIpv6 } from './endpoint.js';
import { SessionCompensation } from './session-compensation.js';
import { configureCurveServer, type CurveServerKeys, type ZapHandler } from './curve.js';
import { CloseMatcher } from './close-matcher.js';

/** How far apart a connection close and its announcement (bye, deploy answer) may be read, ms. */
const CLOSE_GRACE_MS = 1000;

export interface PolicyServerOptions {
  /** Where to bind the ROUTER, e.g. `tcp://127.0.0.1:5555` (`*` as port picks a free one). */
  bind: string;
  policy: Policy;
  /** Heartbeat interval, ms (default 250). */
  heartbeatMs?: number;
  /** Missed heartbeat intervals before a robot is considered gone (default 4). */
  liveness?: number;
  /** Record served episodes as MCAP files here (one per robot session); none if absent. */
  recordDir?: string;
  /** Scenario name and control rate recorded with served episodes; the rate and safe action also drive delay compensation. */
  scenario?: { name: string; controlHz: number; safeAction?: readonly number[] };
  /** CurveZMQ: server key pair and the robot public keys allowed in. */
  curve?: CurveServerKeys;
  /** Allow a non-loopback bind without CurveZMQ. */
  insecure?: boolean;
  /** Turn the files of a deployed checkpoint into a policy (loads tfjs; refuses bad ones). */
  loadPolicy?: (files: Record<string, Uint8Array>) => Promise<Policy>;
  /** One line per notable event (connections, errors, swaps). */
  log?: (line: string) => void;
}

interface Session {
  id: string;
  routing: Buffer;
  robotId: string;
  /** The contract of the hello that opened the session (JSON), to recognise a repeated hello. */
  helloContract: string;
  lastSeqIn: number;
  seqOut: number;
  lastHeard: number;
  lastSent: number;
  recorder: SessionRecording | null;
  compensation: SessionCompensation;
}

export interface ServerStats {
  robots: number;
  actions: number;
  errors: number;
  policyId: string;
  policyVersion: number;
}

export class PolicyServer {
  private readonly sock: zmq.Router;
  private readonly sessions = new Map<string, Session>();
  private readonly slot: PolicySlot;
  private readonly heartbeatMs: number;
  private readonly liveness: number;
  private readonly log: (line: string) => void;
  private timer: NodeJS.Timeout | null = null;
  private loop: Promise<void> | null = null;
  private zap: ZapHandler | null = null;
  private recorder: RecorderThread | null = null;
  private closed = false;
  /** Closes after a bye or a deploy answer are normal; others are logged as drops. */
  private readonly closes: CloseMatcher;
  /** Policies loaded from deployments (freed when replaced or at close). */
  private readonly loaded = new Set<Policy>();
  private actions = 0;
  private errors = 0;
  private readonly obsSize: number;
  private readonly actSize: number;
  endpoint = '';

  private constructor(private readonly opts: PolicyServerOptions) {
    this.slot = new PolicySlot(opts.policy);
    this.heartbeatMs = opts.heartbeatMs ?? 250;
    this.liveness = opts.liveness ?? 4;
    this.log = opts.log ?? (() => {});
    this.sock = new zmq.Router({ maxMessageSize: MAX_FRAME_BYTES + 1024, linger: 0, ipv6: isIpv6(opts.bind) });
    this.obsSize = totalSize(opts.policy.contract.obs);
    this.actSize = totalSize(opts.policy.contract.action);
    // libzmq closes a connection that sends a frame over maxMessageSize (or breaks ZMTP) without
    // telling the ROUTER's reader; the monitor is the only place that shows up.
    this.closes = new CloseMatcher(CLOSE_GRACE_MS, (address) => {
      if (!this.closed) this.logThrottled('disconnect', `a connection on ${address} was closed without a bye (peer gone, or libzmq dropped it: frame over ${MAX_FRAME_BYTES + 1024} bytes or a ZMTP error)`);
    });
    this.sock.events.on('disconnect', (e) => this.closes.closed(e.address));
    // Security handshakes that fail before ZAP is asked (no CURVE, wrong server key); ZAP logs its own refusals.
    for (const ev of ['handshake:error:protocol', 'handshake:error:other'] as const) {
      this.sock.events.on(ev, (e) => this.logThrottled('handshake', `handshake failed on ${e.address}: ${e.error.message}${'code' in e.error ? ` (${e.error.code})` : ''}`));
    }
  }

  static async start(opts: PolicyServerOptions): Promise<PolicyServer> {
    checkBindSecurity(opts.bind, { curve: !!opts.curve, insecure: opts.insecure === true });
    const s = new PolicyServer(opts);
    try {
      if (opts.curve) s.zap = await configureCurveServer(s.sock, opts.curve, (line) => s.logThrottled('zap', line));
      await s.sock.bind(opts.bind);
    } catch (e) {
      s.closed = true;
      s.sock.close();
      await s.zap?.close();
      throw e;
    }
    s.endpoint = s.sock.lastEndpoint ?? opts.bind;
    if (opts.recordDir) s.recorder = new RecorderThread(opts.recordDir, opts.policy.contract, s.log);
    s.loop = s.receive();
    s.timer = setInterval(() => s.tick(), s.heartbeatMs);
    s.log(`serving ${s.slot.policy.id} v${s.slot.version} on ${s.endpoint}${opts.curve ? ' (CurveZMQ)' : ''}`);
    return s;
  }

  private readonly throttle = new Map<string, { at: number; suppressed: number }>();

  /**
   * Log a line of a kind that a misconfigured peer can trigger at libzmq's reconnect rate (every
   * 100 ms): at most one per kind per second, counting the ones left out.
   */
  private logThrottled(kind: string, line: string): void {
    const now = Date.now();
    const t = this.throttle.get(kind);
    if (t && now - t.at < 1000) {
      t.suppressed++;
      return;
    }
    this.log(t?.suppressed ? `${line} (and ${t.suppressed} more like it in the last ${now - t.at} ms)` : line);
    this.throttle.set(kind, { at: now, suppressed: 0 });
  }

  get contract(): Contract {
    return this.slot.policy.contract;
  }

  stats(): ServerStats {
    return { robots: this.sessions.size, actions: this.actions, errors: this.errors, policyId: this.slot.policy.id, policyVersion: this.slot.version };
  }

  /** Swap the served policy (between two control steps) and announce it to every robot. */
  swapPolicy(next: Policy): number {
    const v = this.slot.swap(next);
    this.log(`policy ${next.id} now serving as v${v}`);
    for (const s of this.sessions.values()) this.send(s, { type: 'policy', seq: 0, time: 0, policy_id: next.id, policy_version: v });
    return v;
  }

  private async receive(): Promise<void> {
    try {
      for await (const frames of this.sock) {
        const [routing, frame, ...extra] = frames;
        if (extra.length > 0 || !frame) {
          if (this.closed) continue;
          const session = this.sessions.get(routing.toString('hex')) ?? null;
          // To a peer without a session every error is fatal: it has to say hello (again).
          this.reply(routing, session, 'malformed', `expected one frame per message, got ${frames.length - 1}`, undefined, !session);
          continue;
        }
        await this.handle(routing, frame);
      }
    } catch (e) {
      if (!this.closed) this.log(`receive loop stopped: ${(e as Error).message}`);
    }
  }

  private async handle(routing: Buffer, frame: Buffer): Promise<void> {
    // Shutting down: sessions are being closed; late messages (a robot's bye) get no answer.
    if (this.closed) return;
    const key = routing.toString('hex');
    const session = this.sessions.get(key) ?? null;
    let msg: RobotMessage;
    try {
      msg = decodeRobotMessage(frame);
    } catch (e) {
      const pe = e instanceof ProtocolError ? e : new ProtocolError('malformed', (e as Error).message);
      // To a peer without a session (e.g. a broken hello) the error is fatal: no session exists.
      this.reply(routing, session, pe.code, pe.message, pe.replyTo, !session);
      return;
    }
    if (session) session.lastHeard = Date.now();
    try {
      if (msg.type === 'hello') return this.hello(routing, key, msg);
      if (msg.type === 'deploy') return this.deploy(routing, session, msg.seq, msg.files);
      if (!session) {
        this.reply(routing, null, 'no_session', `expected hello first, got ${msg.type} from a robot without a session`, msg.seq, true);
        return;
      }
      if (msg.seq <= session.lastSeqIn) {
        this.reply(routing, session, 'replayed_seq', `seq: expected > ${session.lastSeqIn}, got ${msg.seq}`, msg.seq, false);
        return;
      }
      session.lastSeqIn = msg.seq;
      switch (msg.type) {
        case 'obs': {
          if (msg.obs.length !== this.obsSize) {
            this.reply(routing, session, 'bad_vector', `obs: expected ${this.obsSize} float32 values (${4 * this.obsSize} bytes), got ${msg.obs.length}`, msg.seq, false);
            return;
          }
          for (let i = 0; i < msg.obs.length; i++) {
            if (!Number.isFinite(msg.obs[i])) {
              this.reply(routing, session, 'non_finite', `obs[${i}]: expected a finite number, got ${msg.obs[i]}`, msg.seq, false);
              return;
            }
          }
          if (msg.applied) {
            // What the robot applied is recorded: it must fit the contract like the obs does.
            if (msg.applied.length !== this.actSize) {
              this.reply(routing, session, 'bad_vector', `applied: expected ${this.actSize} float32 values (${4 * this.actSize} bytes), got ${msg.applied.length}`, msg.seq, false);
              return;
            }
            const bad = msg.applied.findIndex((v) => !Number.isFinite(v));
            if (bad >= 0) {
              this.reply(routing, session, 'non_finite', `applied[${bad}]: expected a finite number, got ${msg.applied[bad]}`, msg.seq, false);
              return;
            }
          }
          const t0 = performance.now();
          const policy = this.slot.policy;
          const action = isStepAware(policy) ? policy.actAt(msg.step, msg.obs) : policy.act(session.compensation.input(policy, msg));
          session.compensation.sent(action);
          const computeUs = (performance.now() - t0) * 1000;
          this.actions++;
          this.send(session, { type: 'action', seq: 0, time: 0, reply_to: msg.seq, episode: msg.episode, step: msg.step, action, policy_id: policy.id, policy_version: this.slot.version, compute_us: computeUs });
          session.recorder?.step(msg, action, computeUs / 1000);
          return;
        }
        case 'episode_start':
          session.recorder?.startEpisode(msg, this.slot.policy.id);
          return;
        case 'episode_end':
          session.recorder?.endEpisode(msg);
          return;
        case 'heartbeat':
          return;
        case 'bye':
          this.closes.announce();
          await this.drop(key, 'said bye');
          return;
      }
    } catch (e) {
      this.reply(routing, session, 'internal', (e as Error).message.split('\n')[0], msg.seq, false);
    }
  }

  private hello(routing: Buffer, key: string, msg: Hello): void {
    const old = this.sessions.get(key);
    // The same hello again before anything else in its session (a robot repeating a hello whose
    // welcome is late): answer with the same session rather than start (and record) another.
    if (old && msg.seq === 1 && msg.protocol === PROTOCOL_VERSION && old.lastSeqIn === 1 && old.robotId === msg.robot_id && old.helloContract === JSON.stringify(msg.contract)) {
      old.lastHeard = Date.now();
      this.send(old, { type: 'welcome', seq: 0, time: 0, protocol: PROTOCOL_VERSION, session: old.id, policy_id: this.slot.policy.id, policy_version: this.slot.version, heartbeat_ms: this.heartbeatMs, liveness: this.liveness });
      return;
    }
    if (old) void this.drop(key, 'said hello again');
    if (msg.protocol !== PROTOCOL_VERSION) {
      this.reply(routing, null, 'protocol_version', `protocol: expected ${PROTOCOL_VERSION}, got ${msg.protocol}`, msg.seq, true);
      return;
    }
    const mismatch = contractMismatch(this.slot.policy.contract, msg.contract);
    if (mismatch) {
      this.reply(routing, null, 'contract_mismatch', `contract: ${mismatch}`, msg.seq, true);
      return;
    }
    const id = randomUUID();
    const rec =
      this.recorder?.open(`${msg.robot_id.replace(/[^\w.-]/g, '_')}-${new Date().toISOString().replace(/[:.]/g, '-')}-${id.slice(0, 8)}.mcap`, {
        robotId: msg.robot_id,
        scenario: msg.scenario ?? this.opts.scenario?.name ?? 'unknown',
        contract: msg.contract,
        controlHz: this.opts.scenario?.controlHz || msg.control_hz || 0,
      }) ?? null;
    const session: Session = { id, routing, robotId: msg.robot_id, helloContract: JSON.stringify(msg.contract), lastSeqIn: msg.seq, seqOut: 0, lastHeard: Date.now(), lastSent: 0, recorder: rec, compensation: new SessionCompensation(this.opts.scenario?.controlHz || msg.control_hz || 0, this.opts.scenario?.safeAction, (line) => this.log(`robot ${msg.robot_id}: ${line}`)) };
    this.sessions.set(key, session);
    this.log(`robot ${msg.robot_id} connected (session ${id.slice(0, 8)}, ${this.sessions.size} robot(s))`);
    this.send(session, { type: 'welcome', seq: 0, time: 0, protocol: PROTOCOL_VERSION, session: id, policy_id: this.slot.policy.id, policy_version: this.slot.version, heartbeat_ms: this.heartbeatMs, liveness: this.liveness });
  }

  private deploy(routing: Buffer, session: Session | null, seq: number, files: Record<string, Uint8Array>): void {
    const load = this.opts.loadPolicy;
    const answer = (m: ServerMessage) => {
      if (session) return this.send(session, m);
      this.closes.announce();
      void this.sock.send([routing, encode(m)]).catch(() => undefined);
    };
    if (!load) {
      answer({ type: 'error', seq: 0, time: Date.now() / 1000, code: 'not_allowed', message: 'this server does not accept deployments', reply_to: seq, fatal: false });
      return;
    }
    // Loading runs beside the control loop; the swap itself happens between two messages.
    load(files)
      .then((policy) => {
        if (this.closed) return release(policy);
        const previous = this.slot.policy;
        let v: number;
        try {
          v = this.swapPolicy(policy);
        } catch (e) {
          release(policy);
          throw e;
        }
        // Policies the server loaded are its own to free once replaced; the first one is the caller's.
        if (this.loaded.delete(previous)) release(previous);
        this.loaded.add(policy);
        answer({ type: 'deployed', seq: 0, time: Date.now() / 1000, policy_id: policy.id, policy_version: v });
      })
      .catch((e: Error) => {
        this.errors++;
        this.log(`deploy refused: ${e.message.split('\n')[0]}`);
        answer({ type: 'error', seq: 0, time: Date.now() / 1000, code: 'bad_policy', message: `deploy refused, ${this.slot.policy.id} keeps serving: ${e.message.split('\n')[0]}`, reply_to: seq, fatal: false });
      });
  }

  private send(session: Session, msg: ServerMessage): void {
    msg.seq = ++session.seqOut;
    msg.time = Date.now() / 1000;
    session.lastSent = Date.now();
    // A ROUTER queues immediately (or drops for a vanished peer): never blocks the loop.
    this.sock.send([session.routing, encode(msg)]).catch((e: Error) => this.log(`send to ${session.robotId} failed: ${e.message}`));
  }

  private reply(routing: Buffer, session: Session | null, code: ErrorCode, message: string, replyTo: number | undefined, fatal: boolean): void {
    this.errors++;
    this.log(`error ${code} from ${session?.robotId ?? routing.toString('hex').slice(0, 10)}: ${message}`);
    const msg: ServerMessage = { type: 'error', seq: 0, time: 0, code, message, fatal, ...(replyTo !== undefined ? { reply_to: replyTo } : {}) };
    if (session && !fatal) this.send(session, msg);
    else {
      msg.seq = 1;
      msg.time = Date.now() / 1000;
      this.sock.send([routing, encode(msg)]).catch(() => undefined);
      if (session && fatal) void this.drop(routing.toString('hex'), code);
    }
  }

  private tick(): void {
    const now = Date.now();
    for (const [key, s] of this.sessions) {
      if (now - s.lastHeard > this.heartbeatMs * this.liveness) {
        void this.drop(key, `silent for ${now - s.lastHeard} ms`);
      } else if (now - s.lastSent >= this.heartbeatMs) {
        this.send(s, { type: 'heartbeat', seq: 0, time: 0 });
      }
    }
  }

  private async drop(key: string, why: string): Promise<void> {
    const s = this.sessions.get(key);
    if (!s) return;
    this.sessions.delete(key);
    this.log(`robot ${s.robotId} left (${why}); ${this.sessions.size} robot(s)`);
    await s.recorder?.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.closes.dispose();
    for (const key of [...this.sessions.keys()]) await this.drop(key, 'server closing');
    this.sock.close();
    await this.loop;
    await this.zap?.close();
    await this.recorder?.stop();
    for (const p of this.loaded) release(p);
    this.loaded.clear();
  }
}

/** Free a policy's model memory (tfjs tensors) if it holds any. */
function release(p: Policy): void {
  (p as { dispose?: () => void }).dispose?.();
}
