/**
 * The policy server (docs/design.md, "Bridge"): a ZeroMQ ROUTER serving many robots at once, each with its own
 * session (sequence numbers, step order, liveness, episode recording). It must keep answering every
 * well-behaved robot whatever one robot, one process or one burst does:
 * - incoming messages wait in a small inbox per session and sessions are served in turn, so a
 *   flooding robot delays nobody else; its backlog is bounded (the oldest `obs` are dropped, and it
 *   is told with `overloaded`);
 * - everything outgoing goes through one ordered, awaited queue (send-queue.ts);
 * - bad input gets an error reply and a (throttled) log line, never a stop;
 * - a failure of the receive or send loop closes the socket and calls `onFatal` (the CLI exits
 *   non-zero so a supervisor restarts it): never alive and deaf.
 * A deployed policy is swapped in between two control steps and announced to every robot.
 */
import * as zmq from 'zeromq';
import { randomUUID } from 'node:crypto';
import { contractMismatch, totalSize, type Contract } from '../sim/contract.js';
import type { Policy } from '../policy/models/policy.js';
import { InputError } from '../errors.js';
import { ProtocolError, decodeRobotMessage, encode, shown } from './codec.js';
import {
  PROTOCOL_VERSION,
  MAX_FRAME_BYTES,
  type DeployMsg,
  type ErrorCode,
  type Hello,
  type ObsMsg,
  type RobotMessage,
  type ServerMessage,
  type SessionStats,
  type StatsMsg,
} from './messages.js';
import { PolicySlot } from './served-policy.js';
import { isStepAware } from './replay-policy.js';
import { RecorderThread, type SessionRecording } from './recorder-thread.js';
import { checkBindSecurity, isIpv6, isLoopback } from './endpoint.js';
import { SessionCompensation } from './session-compensation.js';
import { configureCurveServer, type CurveServerKeys, type ZapHandler } from './curve.js';
import { CloseMatcher } from './close-matcher.js';
import { SendQueue } from './send-queue.js';
import { StepRules } from './step-rules.js';
import { LogThrottle } from './log-throttle.js';
import { DeployAuthority } from './deploy-auth.js';
import { DEFAULT_MAX_BACKLOG, MAX_BACKLOG_LIMIT, MAX_INBOX } from './backlog.js';

/** How far apart a connection close and its announcement (bye, deploy answer) may be read, ms. */
const CLOSE_GRACE_MS = 1000;
/** How long a failed server waits for its recordings to close before telling its owner anyway, ms. */
const FATAL_CLOSE_MS = 3000;
/** A stats answer is reused for this long, ms (a peer asking in a loop costs one answer per interval). */
const STATS_CACHE_MS = 100;
/**
 * Messages taken off the socket before the sessions are served. Small, so that a pass never takes
 * long enough (even of bad frames at ~40 µs each) for a robot at its normal rate to find several of
 * its observations waiting; large enough that a flood's backlog is trimmed before it is served.
 */
const INGEST_BATCH = 32;
/** Connection lines (connected, resumed, left) logged per second at most: a fleet starting together is logged whole, a peer cycling hellos is not. */
const SESSION_LINES_PER_S = 100;

export interface PolicyServerOptions {
  /** Where to bind the ROUTER, e.g. `tcp://127.0.0.1:5555` (`*` as port picks a free one). */
  bind: string;
  policy: Policy;
  /** Heartbeat interval, ms (default 250). */
  heartbeatMs?: number;
  /** Missed heartbeat intervals before a robot is considered gone (default 4). */
  liveness?: number;
  /** Record served episodes as MCAP here (one file per server run, rotated by size); none if absent. */
  recordDir?: string;
  /** Rotate the recording at an episode boundary once its file is this big, bytes. */
  recordMaxFileBytes?: number;
  /** Scenario name and control rate recorded with served episodes; the rate and safe action also drive delay compensation. */
  scenario?: { name: string; controlHz: number; safeAction?: readonly number[] };
  /** CurveZMQ: server key pair and the robot public keys allowed in. */
  curve?: CurveServerKeys;
  /** With CurveZMQ: public keys allowed to deploy (admitted too; robot keys cannot deploy). */
  deployers?: string[];
  /** Without CurveZMQ: accept deployments from any peer (loopback binds only). Off by default. */
  allowDeploy?: boolean;
  /** Allow a non-loopback bind without CurveZMQ. */
  insecure?: boolean;
  /** Turn the files of a deployed checkpoint into a policy (loads tfjs; refuses bad ones). */
  loadPolicy?: (files: Record<string, Uint8Array>) => Promise<Policy>;
  /** `obs` a robot may have waiting before the oldest is dropped (default 8). */
  maxBacklog?: number;
  /** Sessions at most; a hello beyond is refused (`overloaded`, fatal). Default: no limit. */
  maxRobots?: number;
  /**
   * The receive or send loop failed: the server has logged it and closed its socket (robots see it
   * gone, not deaf). The CLI exits non-zero here so that a supervisor restarts it.
   */
  onFatal?: (error: Error) => void;
  /** One line per notable event (connections, errors, swaps). */
  log?: (line: string) => void;
}

interface Queued {
  msg: RobotMessage;
  /** Server clock when the message was taken off the socket: s since the epoch, and performance.now(). */
  receivedAt: number;
  receivedPerf: number;
}

interface Session {
  id: string;
  key: string;
  routing: Buffer;
  robotId: string;
  /** Earlier session ids (of sessions other servers held) that this session answers to in `hello.resume`. */
  aliases: string[];
  lastSeqIn: number;
  seqOut: number;
  lastHeard: number;
  lastSent: number;
  recorder: SessionRecording | null;
  compensation: SessionCompensation;
  rules: StepRules;
  /** A control period, ms (0: rate unknown, nothing counts as late). */
  periodMs: number;
  /** The hello named a session this server does not know: an episode in flight may continue unannounced. */
  continuesElsewhere: boolean;
  inbox: Queued[];
  /** `obs` in the inbox. */
  backlog: number;
  served: number;
  dropped: number;
  late: number;
  errors: number;
}

/** What `stats()` and the `stats` message report (see StatsMsg). */
export interface ServerStats {
  robots: number;
  /** Actions sent since the server started. */
  actions: number;
  dropped: number;
  late: number;
  errors: number;
  policyId: string;
  policyVersion: number;
  uptimeS: number;
  sessionsOpened: number;
  sessionsResumed: number;
  sendQueue: number;
  sendQueueMax: number;
  sessions: SessionStats[];
}

export class PolicyServer {
  private readonly sock: zmq.Router;
  private readonly out: SendQueue;
  /** Sessions by routing id (hex), by session id and by robot id. */
  private readonly sessions = new Map<string, Session>();
  private readonly byId = new Map<string, Session>();
  private readonly byRobot = new Map<string, Session>();
  /** Sessions with messages waiting, in the order they will be served. */
  private readonly ready = new Set<Session>();
  private readonly slot: PolicySlot;
  private readonly heartbeatMs: number;
  private readonly liveness: number;
  private readonly maxBacklog: number;
  private readonly log: (line: string) => void;
  private readonly throttle: LogThrottle;
  private readonly authority: DeployAuthority | null;
  private timer: NodeJS.Timeout | null = null;
  private loop: Promise<void> | null = null;
  private zap: ZapHandler | null = null;
  private recorder: RecorderThread | null = null;
  private closed = false;
  private readonly startedAt = Date.now();
  /** Closes after a bye or a deploy answer are normal; others are logged as drops. */
  private readonly closes: CloseMatcher;
  /** Policies loaded from deployments (freed when replaced or at close). */
  private readonly loaded = new Set<Policy>();
  private actions = 0;
  private dropped = 0;
  private late = 0;
  private errors = 0;
  private opened = 0;
  private resumed = 0;
  private readonly obsSize: number;
  private readonly actSize: number;
  endpoint = '';

  private constructor(private readonly opts: PolicyServerOptions) {
    this.slot = new PolicySlot(opts.policy);
    this.heartbeatMs = opts.heartbeatMs ?? 250;
    this.liveness = opts.liveness ?? 4;
    this.maxBacklog = opts.maxBacklog ?? DEFAULT_MAX_BACKLOG;
    this.log = opts.log ?? (() => {});
    this.throttle = new LogThrottle(this.log);
    // sendTimeout 0: a send that cannot go at once fails instead of waiting (a ROUTER never waits:
    // it drops for a peer whose queue is full), so sends resolve synchronously on the fast path.
    // handover: a reconnecting robot that sets its routing id takes it over from its dead connection
    // (libzmq would otherwise ignore the newcomer in silence).
    this.sock = new zmq.Router({
      maxMessageSize: MAX_FRAME_BYTES + 1024,
      linger: 0,
      sendTimeout: 0,
      handover: true,
      ipv6: isIpv6(opts.bind),
    });
    this.out = new SendQueue(this.sock, (e) => this.fail(`send loop failed: ${e.message}`));
    this.obsSize = totalSize(opts.policy.contract.obs);
    this.actSize = totalSize(opts.policy.contract.action);
    this.authority = opts.curve && opts.deployers?.length ? new DeployAuthority(opts.curve, opts.deployers) : null;
    // libzmq closes a connection that sends a frame over maxMessageSize (or breaks ZMTP) without
    // telling the ROUTER's reader; the monitor is the only place that shows up.
    this.closes = new CloseMatcher(CLOSE_GRACE_MS, (address) => {
      if (!this.closed)
        this.throttle.line(
          'disconnect',
          `a connection on ${address} was closed without a bye (peer gone, or libzmq dropped it: frame over ${MAX_FRAME_BYTES + 1024} bytes or a ZMTP error)`,
        );
    });
    this.sock.events.on('disconnect', (e) => this.closes.closed(e.address));
    // Security handshakes that fail before ZAP is asked (no CURVE, wrong server key); ZAP logs its own refusals.
    for (const ev of ['handshake:error:protocol', 'handshake:error:other'] as const) {
      this.sock.events.on(ev, (e) =>
        this.throttle.line(
          'handshake',
          `handshake failed on ${e.address}: ${e.error.message}${'code' in e.error ? ` (${e.error.code})` : ''}`,
        ),
      );
    }
  }

  static async start(opts: PolicyServerOptions): Promise<PolicyServer> {
    checkBindSecurity(opts.bind, { curve: !!opts.curve, insecure: opts.insecure === true });
    checkDeployRights(opts);
    checkPolicyAnswers(opts.policy, totalSize(opts.policy.contract.obs), totalSize(opts.policy.contract.action));
    const s = new PolicyServer(opts);
    try {
      if (opts.curve)
        s.zap = await configureCurveServer(
          s.sock,
          { ...opts.curve, allow: [...opts.curve.allow, ...(opts.deployers ?? [])] },
          (line) => s.throttle.line('zap', line),
        );
      await s.sock.bind(opts.bind);
    } catch (e) {
      s.closed = true;
      s.sock.close();
      await s.zap?.close();
      throw e;
    }
    s.endpoint = s.sock.lastEndpoint ?? opts.bind;
    if (opts.recordDir)
      s.recorder = new RecorderThread(opts.recordDir, opts.policy.contract, s.log, {
        maxFileBytes: opts.recordMaxFileBytes,
      });
    s.loop = s.receive();
    s.timer = setInterval(() => s.tick(), s.heartbeatMs);
    const deploy = !opts.loadPolicy
      ? 'off'
      : s.authority
        ? `${opts.deployers!.length} deployer key(s)`
        : opts.allowDeploy
          ? 'any local process'
          : 'off';
    s.log(
      `serving ${s.slot.policy.id} v${s.slot.version} on ${s.endpoint}${opts.curve ? ' (CurveZMQ)' : ''} (deploy: ${deploy})`,
    );
    return s;
  }

  get contract(): Contract {
    return this.slot.policy.contract;
  }

  stats(): ServerStats {
    const now = Date.now();
    const sessions: SessionStats[] = [...this.sessions.values()].map((s) => ({
      robot_id: s.robotId,
      // Only a prefix, as in the log: the whole id is what takes a session back (hello.resume).
      session: s.id.slice(0, 8),
      episode: s.rules.episode,
      step: s.rules.step,
      backlog: s.backlog,
      served: s.served,
      dropped: s.dropped,
      late: s.late,
      errors: s.errors,
      silent_ms: now - s.lastHeard,
    }));
    return {
      robots: this.sessions.size,
      actions: this.actions,
      dropped: this.dropped,
      late: this.late,
      errors: this.errors,
      policyId: this.slot.policy.id,
      policyVersion: this.slot.version,
      uptimeS: (now - this.startedAt) / 1000,
      sessionsOpened: this.opened,
      sessionsResumed: this.resumed,
      sendQueue: this.out.depth,
      sendQueueMax: this.out.maxDepth,
      sessions,
    };
  }

  /**
   * Swap the served policy (between two control steps) and announce it to every robot. Refuses one
   * whose contract differs, or that does not answer an observation with `action size` finite values.
   */
  swapPolicy(next: Policy): number {
    checkPolicyAnswers(next, this.obsSize, this.actSize);
    const v = this.slot.swap(next);
    this.log(`policy ${next.id} now serving as v${v}`);
    for (const s of this.sessions.values())
      this.send(s, { type: 'policy', seq: 0, time: 0, policy_id: next.id, policy_version: v });
    return v;
  }

  /** The loop that reads the socket: everything that arrived together is taken in, then the sessions are served in turn. */
  private async receive(): Promise<void> {
    try {
      while (!this.closed) {
        this.ingestSafely(await this.sock.receive());
        for (let n = 0; n < INGEST_BATCH && this.sock.readable; n++) this.ingestSafely(await this.sock.receive());
        this.serveReady();
      }
    } catch (e) {
      if (!this.closed) this.fail(`receive loop failed: ${(e as Error).message}`);
    }
  }

  /** Stop serving for good after a failure of the loop: close the socket (robots see the server gone) and tell the owner. */
  private fail(why: string): void {
    if (this.closed) return;
    this.log(`fatal: ${why}; the server stops serving`);
    // The socket goes first, so that robots see the server gone even if the rest of the shutdown
    // (the recorder flushing its files) hangs; the owner hears of it within FATAL_CLOSE_MS either way.
    this.out.stop();
    try {
      this.sock.close();
    } catch {
      // Already closed: that may be the failure itself.
    }
    const error = new Error(why);
    let told = false;
    const tell = () => {
      if (told) return;
      told = true;
      clearTimeout(timer);
      this.opts.onFatal?.(error);
    };
    const timer = setTimeout(tell, FATAL_CLOSE_MS);
    void this.close()
      .catch(() => undefined)
      .finally(tell);
  }

  /** A message that breaks the server's own code is logged and dropped; the loop goes on. */
  private ingestSafely(frames: Buffer[]): void {
    try {
      this.ingest(frames);
    } catch (e) {
      this.errors++;
      this.throttle.line(
        'ingest',
        `internal error on a message, dropped: ${String((e as Error)?.message ?? e).split('\n')[0]}`,
      );
    }
  }

  /** One message off the socket: replies at once to what needs no session, else into the sender's inbox. */
  private ingest(frames: Buffer[]): void {
    if (this.closed) return;
    const receivedPerf = performance.now();
    const [routing, frame, ...extra] = frames;
    const key = routing.toString('hex');
    const session = this.sessions.get(key) ?? null;
    if (extra.length > 0 || !frame) {
      // To a peer without a session every error is fatal: it has to say hello (again).
      this.reply(
        routing,
        session,
        'malformed',
        `expected one frame per message, got ${frames.length - 1}`,
        undefined,
        !session,
      );
      return;
    }
    let msg: RobotMessage;
    try {
      msg = decodeRobotMessage(frame);
    } catch (e) {
      const pe = e instanceof ProtocolError ? e : new ProtocolError('malformed', (e as Error).message);
      this.reply(routing, session, pe.code, pe.message, pe.replyTo, !session);
      return;
    }
    const receivedAt = Date.now() / 1000;
    if (session) session.lastHeard = Date.now();
    switch (msg.type) {
      case 'hello':
        return this.hello(routing, key, msg);
      case 'deploy':
        return this.deploy(routing, session, msg);
      case 'stats':
        return this.answerStats(routing, session, msg.seq);
    }
    if (!session) {
      this.reply(
        routing,
        null,
        'no_session',
        `expected hello first, got ${msg.type} from a robot without a session`,
        msg.seq,
        true,
      );
      return;
    }
    if (msg.seq <= session.lastSeqIn) {
      this.reply(
        routing,
        session,
        'replayed_seq',
        `seq: expected > ${session.lastSeqIn}, got ${msg.seq}`,
        msg.seq,
        false,
      );
      return;
    }
    session.lastSeqIn = msg.seq;
    if (msg.type === 'heartbeat') return;
    if (session.inbox.length >= MAX_INBOX) {
      this.reply(
        routing,
        session,
        'overloaded',
        `${msg.type} refused: ${MAX_INBOX} messages of this robot are already waiting`,
        msg.seq,
        false,
      );
      return;
    }
    session.inbox.push({ msg, receivedAt, receivedPerf });
    if (msg.type === 'obs' && ++session.backlog > this.maxBacklog) this.dropOldestObs(session);
    this.ready.add(session);
  }

  private dropOldestObs(s: Session): void {
    const i = s.inbox.findIndex((q) => q.msg.type === 'obs');
    const [q] = s.inbox.splice(i, 1);
    s.backlog--;
    s.dropped++;
    this.dropped++;
    const m = q.msg as ObsMsg;
    this.reply(
      s.routing,
      s,
      'overloaded',
      `obs seq ${m.seq} (episode ${m.episode}, step ${m.step}) dropped unanswered: ${this.maxBacklog} newer observations of this robot were waiting (sending faster than served)`,
      m.seq,
      false,
      false,
    );
  }

  /** Serve every session's waiting messages, one message per session in turn. */
  private serveReady(): void {
    while (this.ready.size > 0) {
      for (const s of this.ready) {
        const q = s.inbox.shift();
        if (!q || this.sessions.get(s.key) !== s) {
          this.ready.delete(s);
          continue;
        }
        if (q.msg.type === 'obs') s.backlog--;
        try {
          this.handle(s, q);
        } catch (e) {
          this.reply(s.routing, s, 'internal', String((e as Error)?.message ?? e).split('\n')[0], q.msg.seq, false);
        }
        if (s.inbox.length === 0) this.ready.delete(s);
      }
    }
  }

  private handle(session: Session, q: Queued): void {
    const msg = q.msg;
    switch (msg.type) {
      case 'obs':
        return this.serveObs(session, msg, q);
      case 'episode_start': {
        const bad = session.rules.start(msg.episode);
        if (bad) return this.reply(session.routing, session, 'bad_step', bad, msg.seq, false);
        session.recorder?.startEpisode(msg, this.slot.policy.id, q.receivedAt);
        return;
      }
      case 'episode_end': {
        const bad = session.rules.end(msg.episode);
        if (bad) return this.reply(session.routing, session, 'bad_step', bad, msg.seq, false);
        session.recorder?.endEpisode(msg, q.receivedAt);
        return;
      }
      case 'bye':
        this.closes.announce();
        void this.drop(session, 'said bye');
        return;
    }
  }

  private serveObs(session: Session, msg: ObsMsg, q: Queued): void {
    const routing = session.routing;
    if (msg.obs.length !== this.obsSize) {
      return this.reply(
        routing,
        session,
        'bad_vector',
        `obs: expected ${this.obsSize} float32 values (${4 * this.obsSize} bytes), got ${msg.obs.length}`,
        msg.seq,
        false,
      );
    }
    for (let i = 0; i < msg.obs.length; i++) {
      if (!Number.isFinite(msg.obs[i]))
        return this.reply(
          routing,
          session,
          'non_finite',
          `obs[${i}]: expected a finite number, got ${msg.obs[i]}`,
          msg.seq,
          false,
        );
    }
    if (msg.applied) {
      // What the robot applied is recorded: it must fit the contract like the obs does.
      if (msg.applied.length !== this.actSize) {
        return this.reply(
          routing,
          session,
          'bad_vector',
          `applied: expected ${this.actSize} float32 values (${4 * this.actSize} bytes), got ${msg.applied.length}`,
          msg.seq,
          false,
        );
      }
      const bad = msg.applied.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0)
        return this.reply(
          routing,
          session,
          'non_finite',
          `applied[${bad}]: expected a finite number, got ${msg.applied[bad]}`,
          msg.seq,
          false,
        );
    }
    const rules = session.rules;
    const newEpisode = msg.episode !== rules.episode;
    const bad = rules.obs(msg.episode, msg.step);
    if (bad) return this.reply(routing, session, 'bad_step', bad, msg.seq, false);
    if (newEpisode && session.continuesElsewhere && msg.step > 0) {
      // The robot's episode began on a server that went away: record the rest of it, marked partial.
      session.recorder?.startEpisode(
        {
          type: 'episode_start',
          seq: msg.seq,
          time: msg.time,
          episode: msg.episode,
          info: { resumed_from_step: msg.step },
        },
        this.slot.policy.id,
        q.receivedAt,
      );
    }
    const t0 = performance.now();
    const policy = this.slot.policy;
    const action = isStepAware(policy)
      ? policy.actAt(msg.step, msg.obs)
      : policy.act(session.compensation.input(policy, msg));
    const computeUs = (performance.now() - t0) * 1000;
    for (let i = 0; i < action.length; i++) {
      if (!Number.isFinite(action[i])) {
        return this.reply(
          routing,
          session,
          'internal',
          `policy ${policy.id} computed a non-finite action[${i}] (${action[i]}); nothing sent for this step`,
          msg.seq,
          false,
        );
      }
    }
    session.compensation.sent(action);
    this.actions++;
    session.served++;
    this.send(session, {
      type: 'action',
      seq: 0,
      time: 0,
      reply_to: msg.seq,
      episode: msg.episode,
      step: msg.step,
      action,
      policy_id: policy.id,
      policy_version: this.slot.version,
      compute_us: computeUs,
    });
    if (session.periodMs > 0 && performance.now() - q.receivedPerf > session.periodMs) {
      session.late++;
      this.late++;
    }
    if (session.recorder) {
      const rec = msg as ObsMsg & { receivedAt: number };
      rec.receivedAt = q.receivedAt;
      session.recorder.step(rec, action, computeUs / 1000);
    }
  }

  private welcome(s: Session, resumed: boolean): void {
    this.send(s, {
      type: 'welcome',
      seq: 0,
      time: 0,
      protocol: PROTOCOL_VERSION,
      session: s.id,
      policy_id: this.slot.policy.id,
      policy_version: this.slot.version,
      heartbeat_ms: this.heartbeatMs,
      liveness: this.liveness,
      resumed,
      max_backlog: this.maxBacklog,
    });
  }

  private hello(routing: Buffer, key: string, msg: Hello): void {
    const old = this.sessions.get(key);
    const protocolOk = msg.protocol === PROTOCOL_VERSION;
    const mismatch = protocolOk ? contractMismatch(this.slot.policy.contract, msg.contract) : null;
    // The same hello again before anything else in its session (a robot repeating a hello whose
    // welcome is late): answer with the same session rather than start (and record) another.
    if (old && msg.seq === 1 && protocolOk && !mismatch && old.lastSeqIn === 1 && old.robotId === msg.robot_id) {
      old.lastHeard = Date.now();
      old.seqOut = 0;
      this.welcome(old, msg.resume !== undefined && (msg.resume === old.id || old.aliases.includes(msg.resume)));
      return;
    }
    const target = msg.resume !== undefined ? this.byId.get(msg.resume) : undefined;
    // Both contracts match the served policy's (a deploy keeps the contract), so they match each other.
    const resumable = !!target && protocolOk && !mismatch && target.robotId === msg.robot_id;
    if (old && !(resumable && old === target))
      void this.drop(
        old,
        old.robotId === msg.robot_id ? 'said hello again' : `its connection was taken over by robot ${msg.robot_id}`,
      );
    if (!protocolOk) {
      this.reply(
        routing,
        null,
        'protocol_version',
        `protocol: expected ${PROTOCOL_VERSION}, got ${msg.protocol}`,
        msg.seq,
        true,
      );
      return;
    }
    if (mismatch) {
      this.reply(routing, null, 'contract_mismatch', `contract: ${mismatch}`, msg.seq, true);
      return;
    }
    if (resumable) return this.resume(target, routing, key, msg);
    const dup = this.byRobot.get(msg.robot_id);
    if (dup) {
      this.reply(
        routing,
        null,
        'duplicate_robot',
        `robot_id ${shown(msg.robot_id)}: already connected (session ${dup.id.slice(0, 8)}, heard ${Date.now() - dup.lastHeard} ms ago); give each robot its own id, or resume the session with the id from its welcome`,
        msg.seq,
        true,
      );
      return;
    }
    if (this.opts.maxRobots !== undefined && this.sessions.size >= this.opts.maxRobots) {
      this.reply(
        routing,
        null,
        'overloaded',
        `server full: ${this.sessions.size} robots connected (serve --max-robots ${this.opts.maxRobots}); try again later`,
        msg.seq,
        true,
      );
      return;
    }
    this.open(routing, key, msg);
  }

  /** A reconnecting robot takes its session back: episodes, recording and counters go on. */
  private resume(target: Session, routing: Buffer, key: string, msg: Hello): void {
    this.sessions.delete(target.key);
    this.ready.delete(target);
    target.key = key;
    target.routing = routing;
    this.sessions.set(key, target);
    // What waited came over the dead connection; its deadlines have passed.
    target.inbox.length = 0;
    target.backlog = 0;
    target.lastSeqIn = msg.seq;
    target.seqOut = 0;
    target.lastHeard = Date.now();
    this.resumed++;
    this.throttle.line(
      'session',
      `robot ${msg.robot_id} resumed session ${target.id.slice(0, 8)} on a new connection`,
      SESSION_LINES_PER_S,
    );
    this.welcome(target, true);
  }

  private open(routing: Buffer, key: string, msg: Hello): void {
    const id = randomUUID();
    const controlHz = this.opts.scenario?.controlHz || msg.control_hz || 0;
    const rec =
      this.recorder?.open({
        robotId: msg.robot_id,
        session: id,
        scenario: msg.scenario ?? this.opts.scenario?.name ?? 'unknown',
        contract: msg.contract,
        controlHz,
      }) ?? null;
    const session: Session = {
      id,
      key,
      routing,
      robotId: msg.robot_id,
      aliases: msg.resume !== undefined ? [msg.resume] : [],
      lastSeqIn: msg.seq,
      seqOut: 0,
      lastHeard: Date.now(),
      lastSent: 0,
      recorder: rec,
      compensation: new SessionCompensation(controlHz, this.opts.scenario?.safeAction, (line) =>
        this.log(`robot ${msg.robot_id}: ${line}`),
      ),
      rules: new StepRules(),
      periodMs: controlHz > 0 ? 1000 / controlHz : 0,
      continuesElsewhere: msg.resume !== undefined,
      inbox: [],
      backlog: 0,
      served: 0,
      dropped: 0,
      late: 0,
      errors: 0,
    };
    this.sessions.set(key, session);
    this.byId.set(id, session);
    // A robot whose earlier session another server held may repeat that hello (its welcome was
    // late): the repeat finds this session, rather than being refused as a duplicate of it.
    // Never over a live session's own id: a hello naming someone else's session must not hijack its resume.
    for (const a of session.aliases) if (!this.byId.has(a)) this.byId.set(a, session);
    this.byRobot.set(msg.robot_id, session);
    this.opened++;
    const resume =
      msg.resume !== undefined ? `; its earlier session ${msg.resume.slice(0, 8)} is not on this server` : '';
    this.throttle.line(
      'session',
      `robot ${msg.robot_id} connected (session ${id.slice(0, 8)}, ${this.sessions.size} robot(s)${resume})`,
      SESSION_LINES_PER_S,
    );
    this.welcome(session, false);
  }

  /** Why a deployment may not even be loaded (null: it may). */
  private deployRefusal(msg: DeployMsg): string | null {
    if (!this.opts.loadPolicy) return 'this server does not accept deployments';
    if (this.authority) return this.authority.check(msg);
    if (this.opts.curve) return 'deployment is off on this server (it has no --deploy-allow keys)';
    if (!this.opts.allowDeploy)
      return 'deployment is off on this server (start it with --allow-deploy on loopback, or with CurveZMQ and --deploy-allow)';
    return null;
  }

  private deploy(routing: Buffer, session: Session | null, msg: DeployMsg): void {
    const answer = (m: ServerMessage) => {
      this.closes.announce();
      if (session && this.sessions.get(session.key) === session) return this.send(session, m);
      m.seq = 1;
      m.time = Date.now() / 1000;
      this.out.send([routing, encode(m)]);
    };
    const refusal = this.deployRefusal(msg);
    if (refusal) {
      this.errors++;
      this.throttle.line(
        'deploy-refused',
        `deploy refused from ${session?.robotId ?? routing.toString('hex').slice(0, 10)}: ${refusal}`,
      );
      answer({
        type: 'error',
        seq: 0,
        time: 0,
        code: 'not_allowed',
        message: refusal,
        reply_to: msg.seq,
        fatal: false,
      });
      return;
    }
    // Loading runs beside the control loop; the swap itself happens between two messages.
    this.opts.loadPolicy!(msg.files)
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
        answer({ type: 'deployed', seq: 0, time: 0, policy_id: policy.id, policy_version: v });
      })
      .catch((e: Error) => {
        if (this.closed) return;
        this.errors++;
        this.log(`deploy refused: ${e.message.split('\n')[0]}`);
        answer({
          type: 'error',
          seq: 0,
          time: 0,
          code: 'bad_policy',
          message: `deploy refused, ${this.slot.policy.id} keeps serving: ${e.message.split('\n')[0]}`,
          reply_to: msg.seq,
          fatal: false,
        });
      });
  }

  private statsCache: { at: number; stats: ServerStats } | null = null;

  private answerStats(routing: Buffer, session: Session | null, seq: number): void {
    const now = Date.now();
    if (!this.statsCache || now - this.statsCache.at > STATS_CACHE_MS)
      this.statsCache = { at: now, stats: this.stats() };
    const s = this.statsCache.stats;
    const m: StatsMsg = {
      type: 'stats',
      seq: 1,
      time: Date.now() / 1000,
      reply_to: seq,
      uptime_s: s.uptimeS,
      policy_id: s.policyId,
      policy_version: s.policyVersion,
      robots: s.robots,
      sessions: s.sessions,
      served: s.actions,
      dropped: s.dropped,
      late: s.late,
      errors: s.errors,
      sessions_opened: s.sessionsOpened,
      sessions_resumed: s.sessionsResumed,
      send_queue: s.sendQueue,
      send_queue_max: s.sendQueueMax,
    };
    if (session) return this.send(session, m);
    // A probe without a session closes its connection once answered: a normal close, not a drop.
    this.closes.announce();
    this.out.send([routing, encode(m)]);
  }

  private send(session: Session, msg: ServerMessage): void {
    msg.seq = ++session.seqOut;
    const now = Date.now();
    msg.time = now / 1000;
    session.lastSent = now;
    this.out.send([session.routing, encode(msg)]);
  }

  /** Answer `error`; counted as an error unless it reports a backlog drop (counted as dropped). */
  private reply(
    routing: Buffer,
    session: Session | null,
    code: ErrorCode,
    message: string,
    replyTo: number | undefined,
    fatal: boolean,
    counted = true,
  ): void {
    if (counted) {
      this.errors++;
      if (session) session.errors++;
    }
    const peer = session?.robotId ?? routing.toString('hex').slice(0, 10);
    // Peers without a session are throttled together: a new connection per message must not get a line each.
    this.throttle.line(
      `error ${code} ${session ? session.id : '(no session)'}`,
      `error ${code} from ${peer}: ${message}`,
    );
    const msg: ServerMessage = {
      type: 'error',
      seq: 0,
      time: 0,
      code,
      message,
      fatal,
      ...(replyTo !== undefined ? { reply_to: replyTo } : {}),
    };
    if (session && !fatal) this.send(session, msg);
    else {
      msg.seq = 1;
      msg.time = Date.now() / 1000;
      this.out.send([routing, encode(msg)]);
      if (session && fatal) void this.drop(session, code);
    }
  }

  private tick(): void {
    try {
      const now = Date.now();
      for (const s of this.sessions.values()) {
        if (now - s.lastHeard > this.heartbeatMs * this.liveness) {
          void this.drop(s, `silent for ${now - s.lastHeard} ms`);
        } else if (now - s.lastSent >= this.heartbeatMs) {
          this.send(s, { type: 'heartbeat', seq: 0, time: 0 });
        }
      }
    } catch (e) {
      this.fail(`heartbeat loop failed: ${(e as Error).message}`);
    }
  }

  private async drop(s: Session, why: string): Promise<void> {
    if (this.sessions.get(s.key) !== s) return;
    this.sessions.delete(s.key);
    this.byId.delete(s.id);
    for (const a of s.aliases) if (this.byId.get(a) === s) this.byId.delete(a);
    if (this.byRobot.get(s.robotId) === s) this.byRobot.delete(s.robotId);
    this.ready.delete(s);
    s.inbox.length = 0;
    this.throttle.line(
      'session',
      `robot ${s.robotId} left (${why}); ${this.sessions.size} robot(s)`,
      SESSION_LINES_PER_S,
    );
    await s.recorder?.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.closes.dispose();
    for (const s of [...this.sessions.values()]) await this.drop(s, 'server closing');
    this.out.stop();
    if (!this.sock.closed) this.sock.close();
    await this.loop;
    await this.zap?.close();
    await this.recorder?.stop();
    for (const p of this.loaded) release(p);
    this.loaded.clear();
  }
}

/** Deployment rights that cannot work, refused before binding (one line, exit 2 from the CLI). */
function checkDeployRights(opts: PolicyServerOptions): void {
  if (
    opts.maxBacklog !== undefined &&
    !(Number.isInteger(opts.maxBacklog) && opts.maxBacklog >= 1 && opts.maxBacklog <= MAX_BACKLOG_LIMIT)
  ) {
    throw new InputError(
      `--max-backlog: expected an integer in 1-${MAX_BACKLOG_LIMIT} (below the ${MAX_INBOX} messages a session may have waiting), got ${opts.maxBacklog}`,
    );
  }
  if (opts.deployers?.length && !opts.curve)
    throw new InputError(
      '--deploy-allow: expected CurveZMQ keys (--curve-keys); without them use --allow-deploy on a loopback bind',
    );
  if (opts.allowDeploy && opts.curve)
    throw new InputError("--allow-deploy: with CurveZMQ, name the deployers' public keys with --deploy-allow instead");
  if (opts.allowDeploy && !isLoopback(opts.bind))
    throw new InputError(
      `--allow-deploy: expected a loopback --bind (any local process may deploy), got ${opts.bind}; off loopback use CurveZMQ with --deploy-allow`,
    );
}

/** A policy about to serve must answer an observation with `actSize` finite values (a corrupt normaliser gives NaN). */
function checkPolicyAnswers(p: Policy, obsSize: number, actSize: number): void {
  if (isStepAware(p)) return;
  const probe = p.act(new Float32Array(obsSize));
  if (probe.length !== actSize)
    throw new Error(`policy ${p.id}: expected ${actSize} action values, got ${probe.length}`);
  const i = probe.findIndex((v) => !Number.isFinite(v));
  if (i >= 0)
    throw new Error(`policy ${p.id}: computed a non-finite action[${i}] (${probe[i]}) for a zero observation`);
}

/** Free a policy's model memory (tfjs tensors) if it holds any. */
function release(p: Policy): void {
  (p as { dispose?: () => void }).dispose?.();
}
