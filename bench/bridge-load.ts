/**
 * `npm run bench -- bridge-load`: the policy server under load and faults, beside raw ZeroMQ under
 * the same load in the same run (the floor the machine sets). Loopback; the server is `sim2real
 * serve` in its own process (recording, as deployed), the raw side a ROUTER echo in its own
 * process (raw-echo.ts) answering each frame with one the size of an action; the robots (one light
 * DEALER each, load-harness.ts) and the attackers run in this process.
 *
 * Cases (full versions of test/bridge/load.test.ts):
 * - steady: 50 robots at 100 Hz for 30 s;
 * - flood: one session sending 10,000 obs as fast as it can, never reading, while 5 robots run at 100 Hz;
 * - garbage: 10,000 undecodable or invalid frames while 5 robots run at 100 Hz;
 * - connects: 20 robots connecting in the same instant, then running at 100 Hz;
 * - kill -9: 5 robots at 100 Hz (the real RobotClient, which reconnects by itself), the server
 *   killed with SIGKILL and restarted on the same port.
 * Per case: the well-behaved robots' misses (no answer within the deadline, one control period by
 * default) and round trips, server vs raw; the server's own figures (the `stats` message) and
 * whether every episode the robots completed is in the recording.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../src/policy/models/backend.js';
import { GaussianMlpPolicy, type PolicyArchitecture } from '../src/policy/models/gaussian-policy.js';
import { BC_DEFAULTS, DEFAULT_BC_HIDDEN } from '../src/policy/bc/bc.js';
import { saveCheckpoint } from '../src/policy/checkpoints/checkpoint.js';
import { loadScenario } from '../src/sim/scenario-file.js';
import type { Scenario } from '../src/sim/scenario-schema.js';
import type { StatsMsg } from '../src/bridge/messages.js';
import {
  ChildTarget,
  ClientRobot,
  PacedRobot,
  checkRecording,
  flood,
  frameSizes,
  freePort,
  garbage,
  pacedRobots,
  queryStats,
  rawFlood,
  rawGarbage,
  sleep,
  startAll,
  summarize,
  until,
  type LoadSummary,
  type RobotReport,
} from './load-harness.js';
import { printTable } from './table.js';

/** What `train --algo bc` builds when given no architecture flags (as bench bridge serves). */
const DEFAULT_BC_ARCHITECTURE: PolicyArchitecture = {
  hidden: DEFAULT_BC_HIDDEN,
  activation: BC_DEFAULTS.activation,
  critic: false,
  initLogStd: -1,
};
const HZ = 100;
/** Steps per episode (1 s at 100 Hz). */
const EPISODE_STEPS = 100;
const POLICY_ID = 'bench-load';

export interface BridgeLoadOptions {
  /** Length of the steady case; the others scale from it (see `durations`). */
  seconds: number;
  /** A robot's deadline for an answer, ms (default: one control period). */
  deadlineMs: number;
  json: boolean;
  /** Only these cases (default: all). */
  cases?: string[];
}

interface ServerFigures {
  served: number;
  dropped: number;
  late: number;
  errors: number;
  /** Of the well-behaved robots' sessions (at the end of the run). */
  goodDropped: number;
  goodErrors: number;
  sendQueueMax: number;
  sessionsOpened: number;
  sessionsResumed: number;
}

interface Recording {
  files: number;
  completed: number;
  recorded: number;
  incomplete: number;
  problems: string[];
}

interface Side {
  target: 'server' | 'raw';
  robots: LoadSummary;
  server?: ServerFigures;
  recording?: Recording;
  attack?: Record<string, unknown>;
  /** Case-specific figures (connect times, outage). */
  extra?: Record<string, number>;
  /** Non-fatal surprises (a target that died, a robot refused). */
  notes: string[];
}

interface CaseResult {
  name: string;
  description: string;
  server: Side;
  raw: Side;
}

function durations(seconds: number) {
  return {
    steady: seconds,
    attack: Math.max(3, Math.round(seconds / 3)),
    connects: Math.max(3, Math.round(seconds / 6)),
    beforeKill: Math.max(2, Math.round(seconds / 10)),
    afterKill: Math.max(3, Math.round(seconds / 6)),
  };
}

function figures(s: StatsMsg, good: Set<string>): ServerFigures {
  const mine = s.sessions.filter((x) => good.has(x.robot_id));
  return {
    served: s.served,
    dropped: s.dropped,
    late: s.late,
    errors: s.errors,
    goodDropped: mine.reduce((n, x) => n + x.dropped, 0),
    goodErrors: mine.reduce((n, x) => n + x.errors, 0),
    sendQueueMax: s.send_queue_max,
    sessionsOpened: s.sessions_opened,
    sessionsResumed: s.sessions_resumed,
  };
}

class Bench {
  private readonly sizes;
  readonly log: (line: string) => void;

  constructor(
    private readonly work: string,
    private readonly ckpt: string,
    private readonly sc: Scenario,
    private readonly opts: BridgeLoadOptions,
  ) {
    this.sizes = frameSizes(sc.contract, POLICY_ID);
    this.log = (line) => opts.json || process.stderr.write(`bench bridge-load: ${line}\n`);
  }

  private recordDir(name: string): string {
    return mkdtempSync(join(this.work, `rec-${name}-`));
  }

  /** A fresh target of `kind` on a free port. */
  private async target(kind: 'server' | 'raw', recordDir?: string): Promise<ChildTarget> {
    const bind = `tcp://127.0.0.1:${await freePort()}`;
    return kind === 'server'
      ? ChildTarget.serve(this.serveArgs(bind, recordDir!))
      : ChildTarget.rawEcho(bind, this.sizes.action);
  }

  private serveArgs(bind: string, recordDir: string): string[] {
    return ['--policy', this.ckpt, '--bind', bind, '--record', recordDir];
  }

  private robots(
    endpoint: string,
    kind: 'server' | 'raw',
    n: number,
    prefix: string,
    together = false,
  ): Promise<PacedRobot[]> {
    return pacedRobots(
      n,
      {
        endpoint,
        mode: kind,
        contract: this.sc.contract,
        hz: HZ,
        deadlineMs: this.opts.deadlineMs,
        episodeSteps: EPISODE_STEPS,
        scenario: this.sc.name,
      },
      { prefix, together },
    );
  }

  /**
   * The robots of one side: started together, `during` run beside them (an attack), stopped after
   * `seconds`; the server's figures taken just before they stop, its recording checked after it stops.
   */
  private async side(
    kind: 'server' | 'raw',
    name: string,
    seconds: number,
    connect: (endpoint: string) => Promise<{ robots: PacedRobot[]; extra?: Record<string, number> }>,
    during?: (endpoint: string) => Promise<Record<string, unknown>>,
  ): Promise<Side> {
    const rec = kind === 'server' ? this.recordDir(name) : undefined;
    const t = await this.target(kind, rec);
    const notes: string[] = [];
    let robots: PacedRobot[] = [];
    try {
      const c = await connect(t.endpoint);
      robots = c.robots;
      const startedAt = startAll(robots, HZ);
      let attack: Record<string, unknown> | undefined;
      let window: [number, number] | null = null;
      if (during) {
        await sleep(1000);
        const from = performance.now();
        attack = await during(t.endpoint);
        window = [from, performance.now()];
      }
      await sleep(Math.max(0, startedAt + seconds * 1000 - performance.now()));
      const stats =
        kind === 'server'
          ? await queryStats(t.endpoint, 5000).catch((e: Error) => {
              notes.push(`stats: ${e.message}`);
              return null;
            })
          : null;
      const reports = await Promise.all(robots.map((r) => r.stop()));
      for (const r of robots) if (r.fatal) notes.push(`${r.report.robotId}: ${r.fatal}`);
      await Promise.all(robots.map((r) => r.close()));
      robots = [];
      if (kind === 'server' && t.alive)
        await this.gone(
          t.endpoint,
          reports.map((r) => r.robotId),
          notes,
        );
      if (!t.alive) notes.push(`the ${kind} process died: ${t.stderr.slice(-500)}`);
      const exit = await t.stop();
      if (kind === 'server' && exit.code !== 0) notes.push(`serve exited with ${exit.code ?? exit.signal}`);
      const extra = { ...c.extra };
      if (window) {
        // Misses of observations sent while the attack ran (and within a deadline after), and the others.
        const [from, to] = window;
        const inWindow = (r: RobotReport, x: number) =>
          x + r.startedAt >= from && x + r.startedAt < to + this.opts.deadlineMs;
        extra.attackMs = to - from;
        extra.missedDuringAttack = reports.reduce((n, r) => n + r.missedAt.filter((x) => inWindow(r, x)).length, 0);
        extra.sentDuringAttack = Math.round(((to - from + this.opts.deadlineMs) / 1000) * HZ * reports.length);
        extra.missedOtherwise = reports.reduce((n, r) => n + r.missed, 0) - extra.missedDuringAttack;
      }
      const side: Side = {
        target: kind,
        robots: summarize(reports, HZ),
        notes,
        ...(attack ? { attack } : {}),
        ...(Object.keys(extra).length ? { extra } : {}),
      };
      if (kind === 'server') {
        if (stats) side.server = figures(stats, new Set(reports.map((r) => r.robotId)));
        side.recording = await this.recording(rec!, reports);
      }
      return side;
    } finally {
      await Promise.all(robots.map((r) => r.close()));
      await t.stop();
      if (rec) rmSync(rec, { recursive: true, force: true });
    }
  }

  /**
   * Wait until the server has read the robots' last messages (episode_end, bye): stopping it
   * before would leave their last episode without its end (what arrives after a stop is not read).
   */
  private async gone(endpoint: string, ids: string[], notes: string[]): Promise<void> {
    const mine = new Set(ids);
    const deadline = Date.now() + 5000;
    for (;;) {
      const s = await queryStats(endpoint, 2000).catch(() => null);
      const left = s ? s.sessions.filter((x) => mine.has(x.robot_id)).length : -1;
      if (left === 0) return;
      if (Date.now() > deadline) {
        notes.push(`${left < 0 ? 'no stats answer' : `${left} robot(s) still connected`} 5 s after saying bye`);
        return;
      }
      await sleep(50);
    }
  }

  private async recording(
    dir: string,
    reports: RobotReport[],
    only?: NonNullable<Parameters<typeof checkRecording>[2]>['only'],
  ): Promise<Recording> {
    try {
      const r = await checkRecording(dir, reports, { only });
      return {
        files: r.files,
        completed: r.completed,
        recorded: r.recorded,
        incomplete: r.incomplete,
        problems: r.problems.slice(0, 5),
      };
    } catch (e) {
      return {
        files: 0,
        completed: reports.reduce((n, r) => n + r.episodes.length, 0),
        recorded: 0,
        incomplete: 0,
        problems: [`reading the recording failed: ${(e as Error).message.split('\n')[0]}`],
      };
    }
  }

  async steady(seconds: number): Promise<CaseResult> {
    const n = 50;
    const run = (kind: 'server' | 'raw') =>
      this.side(kind, 'steady', seconds, async (ep) => ({ robots: await this.robots(ep, kind, n, 'robot') }));
    this.log(`steady: ${n} robots at ${HZ} Hz for ${seconds} s, server`);
    const server = await run('server');
    this.log('steady: raw');
    const raw = await run('raw');
    return { name: 'steady', description: `${n} robots at ${HZ} Hz for ${seconds} s`, server, raw };
  }

  async flood(seconds: number): Promise<CaseResult> {
    const count = 10_000;
    const robots = (kind: 'server' | 'raw') => async (ep: string) => ({
      robots: await this.robots(ep, kind, 5, 'robot'),
    });
    this.log(`flood: ${count} obs from one session while 5 robots run at ${HZ} Hz for ${seconds} s, server`);
    let close: (() => Promise<void>) | null = null;
    const server = await this.side('server', 'flood', seconds, robots('server'), async (ep) => {
      const f = await flood(ep, this.sc.contract, count, { maxMs: seconds * 1000 });
      close = f.close;
      return { sent: f.sent, ms: f.ms, perSecond: f.sent / (f.ms / 1000) };
    });
    await (close as (() => Promise<void>) | null)?.();
    this.log('flood: raw');
    const raw = await this.side('raw', 'flood', seconds, robots('raw'), async (ep) => {
      const f = await rawFlood(ep, this.sizes.obs, count, { maxMs: seconds * 1000 });
      close = f.close;
      return { sent: f.sent, ms: f.ms, perSecond: f.sent / (f.ms / 1000) };
    });
    await (close as (() => Promise<void>) | null)?.();
    return {
      name: 'flood',
      description: `one session sends ${count} obs as fast as it can (never reading) while 5 robots run at ${HZ} Hz for ${seconds} s`,
      server,
      raw,
    };
  }

  async garbage(seconds: number): Promise<CaseResult> {
    const count = 10_000;
    const robots = (kind: 'server' | 'raw') => async (ep: string) => ({
      robots: await this.robots(ep, kind, 5, 'robot'),
    });
    this.log(`garbage: ${count} frames while 5 robots run at ${HZ} Hz for ${seconds} s, server`);
    const server = await this.side('server', 'garbage', seconds, robots('server'), async (ep) => {
      const g = await garbage(ep, this.sc.contract, count, { maxMs: seconds * 1000 });
      return { sent: g.sent, ms: g.ms, replies: g.replies, oversized: g.oversized, kinds: g.kinds };
    });
    this.log('garbage: raw');
    const raw = await this.side('raw', 'garbage', seconds, robots('raw'), async (ep) => {
      const g = await rawGarbage(ep, count);
      return { sent: g.sent, ms: g.ms, replies: g.replies };
    });
    return {
      name: 'garbage',
      description: `${count} undecodable / invalid frames (with and without a session, 1 in 2000 over the size limit) while 5 robots run at ${HZ} Hz for ${seconds} s`,
      server,
      raw,
    };
  }

  async connects(seconds: number): Promise<CaseResult> {
    const n = 20;
    const connect = (kind: 'server' | 'raw') => async (ep: string) => {
      const t0 = performance.now();
      const times: number[] = [];
      const robots = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          PacedRobot.connect({
            endpoint: ep,
            mode: kind,
            robotId: `burst-${i}`,
            contract: this.sc.contract,
            hz: HZ,
            deadlineMs: this.opts.deadlineMs,
            episodeSteps: EPISODE_STEPS,
            scenario: this.sc.name,
          }).then((r) => {
            times.push(performance.now() - t0);
            return r;
          }),
        ),
      );
      times.sort((a, b) => a - b);
      const extra: Record<string, number> = {
        connectP50Ms: times[Math.floor(times.length / 2)],
        connectMaxMs: times[times.length - 1],
      };
      if (kind === 'server') {
        const s = await queryStats(ep);
        extra.sessions = s.robots;
        extra.sessionsOpened = s.sessions_opened;
      }
      return { robots, extra };
    };
    this.log(`connects: ${n} robots connecting at once, then ${seconds} s at ${HZ} Hz, server`);
    const server = await this.side('server', 'connects', seconds, connect('server'));
    this.log('connects: raw');
    const raw = await this.side('raw', 'connects', seconds, connect('raw'));
    return {
      name: 'connects',
      description: `${n} robots connecting in the same instant (Promise.all), then running at ${HZ} Hz for ${seconds} s`,
      server,
      raw,
    };
  }

  /**
   * kill -9 under 5 robots: the server side with the real RobotClient (it notices, holds the safe
   * action, reconnects with backoff and says hello with resume), the raw side with plain DEALERs
   * (libzmq reconnects them by itself).
   */
  async kill(before: number, after: number): Promise<CaseResult> {
    const n = 5;
    const run = async (kind: 'server' | 'raw'): Promise<Side> => {
      const rec = kind === 'server' ? this.recordDir('kill') : undefined;
      const bind = `tcp://127.0.0.1:${await freePort()}`;
      const start = () =>
        kind === 'server'
          ? ChildTarget.serve(this.serveArgs(bind, rec!))
          : ChildTarget.rawEcho(bind, this.sizes.action);
      let t = await start();
      const notes: string[] = [];
      const robots: (ClientRobot | PacedRobot)[] = [];
      try {
        if (kind === 'server') {
          robots.push(
            ...(await Promise.all(
              Array.from({ length: n }, (_, i) =>
                ClientRobot.connect({
                  server: bind,
                  robotId: `robot-${i}`,
                  contract: this.sc.contract,
                  safeAction: this.sc.safe_action,
                  deadlineMs: this.opts.deadlineMs,
                  maxMisses: 3,
                  backoffMs: [50, 500],
                  hz: HZ,
                  episodeSteps: EPISODE_STEPS,
                  scenario: this.sc.name,
                }),
              ),
            )),
          );
        } else robots.push(...(await this.robots(bind, 'raw', n, 'robot')));
        startAll(robots, HZ);
        await sleep(before * 1000);
        const killedAt = performance.now();
        await t.kill9();
        const spawnAt = performance.now();
        t = await start();
        const readyAt = performance.now();
        const firstAfter = (r: RobotReport) => r.answeredAt.map((x) => x + r.startedAt).find((x) => x > killedAt);
        const reports = robots.map((r) => r.report);
        await until(
          () => reports.every((r) => firstAfter(r) !== undefined),
          30_000,
          'every robot answered again',
        ).catch((e: Error) => notes.push(e.message));
        const back = reports.map((r) => firstAfter(r) ?? Infinity);
        const backAt = Math.max(...back);
        await sleep(after * 1000);
        const stats =
          kind === 'server'
            ? await queryStats(bind, 5000).catch((e: Error) => {
                notes.push(`stats: ${e.message}`);
                return null;
              })
            : null;
        await Promise.all(robots.map((r) => r.stop()));
        await Promise.all(robots.map((r) => r.close()));
        robots.length = 0;
        if (kind === 'server' && t.alive)
          await this.gone(
            bind,
            reports.map((r) => r.robotId),
            notes,
          );
        const exit = await t.stop();
        if (kind === 'server' && exit.code !== 0) notes.push(`serve exited with ${exit.code ?? exit.signal}`);
        const missedIn = (from: number, to: number) =>
          reports.reduce(
            (s, r) => s + r.missedAt.filter((x) => x + r.startedAt >= from && x + r.startedAt < to).length,
            0,
          );
        const side: Side = {
          target: kind,
          robots: summarize(reports, HZ),
          notes,
          extra: {
            restartMs: readyAt - spawnAt,
            outageMaxMs: backAt - killedAt,
            backAfterReadyMs: backAt - readyAt,
            missedBeforeKill: missedIn(0, killedAt),
            missedDuringOutage: missedIn(killedAt, backAt),
            missedAfterBack: missedIn(backAt, Infinity),
          },
        };
        if (stats) side.server = figures(stats, new Set(reports.map((r) => r.robotId)));
        if (kind === 'server') {
          // Episodes ended a second before the kill (the killed server pushes its file every 0.5 s)
          // or after every robot was back must be in the recording, whole.
          const byId = new Map(reports.map((r) => [r.robotId, r]));
          side.recording = await this.recording(rec!, reports, (id: string, e: RobotReport['episodes'][number]) => {
            const at = byId.get(id)!.startedAt + e.endedAt;
            return at < killedAt - 1000 || at > backAt;
          });
        }
        return side;
      } finally {
        await Promise.all(robots.map((r) => r.close()));
        await t.stop();
        if (rec) rmSync(rec, { recursive: true, force: true });
      }
    };
    this.log(
      `kill -9: ${n} robots at ${HZ} Hz, server killed after ${before} s and restarted, then ${after} s; server`,
    );
    const server = await run('server');
    this.log('kill -9: raw');
    const raw = await run('raw');
    return {
      name: 'kill -9',
      description: `${n} robots at ${HZ} Hz; after ${before} s the process is killed with SIGKILL and started again on the same port; ${after} s more once every robot is answered again`,
      server,
      raw,
    };
  }
}

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(x < 0.001 && x > 0 ? 3 : 2)}%` : '-');

function printCase(c: CaseResult): void {
  console.log(`\n== ${c.name}: ${c.description}`);
  printTable(
    [
      'target',
      'robots',
      'sent',
      'expected',
      'missed',
      'missed %',
      'late',
      'empty 1-s windows',
      'p50 ms',
      'p99 ms',
      'max ms',
    ],
    [c.server, c.raw].map((s) => [
      s.target === 'server' ? 'server' : 'raw zmq',
      String(s.robots.robots),
      String(s.robots.sent),
      String(s.robots.expected),
      String(s.robots.missed),
      pct(s.robots.missedFraction),
      String(s.robots.late),
      `${s.robots.emptyWindows} of ${s.robots.windows}`,
      s.robots.p50Ms,
      s.robots.p99Ms,
      s.robots.maxMs,
    ]),
  );
  const v = c.server.server;
  if (v) {
    console.log(
      `server: ${v.served} actions served, ${v.dropped} obs dropped (well-behaved robots: ${v.goodDropped}), ${v.errors} errors (well-behaved: ${v.goodErrors}), ${v.late} late, send queue max ${v.sendQueueMax}, sessions opened ${v.sessionsOpened} / resumed ${v.sessionsResumed}` +
        (Object.keys(c.server.robots.errors).length
          ? `; robots were told: ${Object.entries(c.server.robots.errors)
              .map(([k, n]) => `${k} ×${n}`)
              .join(', ')}`
          : ''),
    );
  }
  const r = c.server.recording;
  if (r)
    console.log(
      `recording: ${r.recorded} of ${r.completed} completed episodes whole (${r.files} file(s), ${r.incomplete} incomplete episode(s) in them)${r.problems.length ? `; e.g. ${r.problems.join('; ')}` : ''}`,
    );
  for (const s of [c.server, c.raw]) {
    const name = s.target === 'server' ? 'server' : 'raw';
    if (s.attack) {
      const a = s.attack as { sent: number; ms: number; perSecond?: number; replies?: number; oversized?: number };
      console.log(
        `${name} attack: ${a.sent} sent in ${a.ms.toFixed(0)} ms${a.perSecond ? ` (${a.perSecond.toFixed(0)}/s)` : ''}${a.replies !== undefined ? `, ${a.replies} replies read` : ''}${a.oversized ? `, ${a.oversized} oversized` : ''}`,
      );
    }
    if (s.extra)
      console.log(
        `${name}: ${Object.entries(s.extra)
          .map(([k, x]) => `${k} ${Number.isInteger(x) ? x : x.toFixed(1)}`)
          .join(', ')}`,
      );
    for (const n of s.notes) console.log(`${name} note: ${n}`);
  }
}

export const LOAD_CASES = ['steady', 'flood', 'garbage', 'connects', 'kill'] as const;

export async function benchBridgeLoad(opts: BridgeLoadOptions): Promise<void> {
  await initBackend();
  const base = loadScenario('scenarios/navigate-obstacles.yaml');
  // The checkpoint's scenario at the robots' rate: the server records it and counts lateness at it.
  const sc: Scenario = { ...base, control: { ...base.control, rate_hz: HZ } };
  const work = mkdtempSync(join(tmpdir(), 'sim2real-bench-load-'));
  try {
    const ckpt = join(work, 'policy');
    const policy = new GaussianMlpPolicy(POLICY_ID, sc.contract, DEFAULT_BC_ARCHITECTURE);
    await saveCheckpoint(ckpt, policy, {
      scenario: sc as never,
      training: { algo: 'none (bench bridge-load)' },
      metrics: {},
    });
    policy.dispose();
    const b = new Bench(work, ckpt, sc, opts);
    const d = durations(opts.seconds);
    const want = new Set(opts.cases?.length ? opts.cases : LOAD_CASES);
    const results: CaseResult[] = [];
    const each = async (name: string, run: () => Promise<CaseResult>) => {
      if (!want.has(name)) return;
      const r = await run();
      results.push(r);
      if (!opts.json) printCase(r);
    };
    await each('steady', () => b.steady(d.steady));
    await each('flood', () => b.flood(d.attack));
    await each('garbage', () => b.garbage(d.attack));
    await each('connects', () => b.connects(d.connects));
    await each('kill', () => b.kill(d.beforeKill, d.afterKill));
    const { obs, action } = frameSizes(sc.contract, POLICY_ID);
    if (opts.json) {
      console.log(
        JSON.stringify(
          {
            suite: 'bridge-load',
            hz: HZ,
            deadlineMs: opts.deadlineMs,
            episodeSteps: EPISODE_STEPS,
            payloadBytes: { obs, action },
            policy: DEFAULT_BC_ARCHITECTURE,
            cases: results,
          },
          null,
          2,
        ),
      );
      return;
    }
    console.log(
      `\n${HZ} Hz, deadline ${opts.deadlineMs} ms (an observation not answered within it is missed; a robot skips a tick rather than burst when its own process falls behind), episodes of ${EPISODE_STEPS} steps, ` +
        `payload ${obs} B obs / ${action} B action; server: \`sim2real serve\` (default bc policy ${DEFAULT_BC_ARCHITECTURE.hidden.join('x')} ${DEFAULT_BC_ARCHITECTURE.activation}, recording, max backlog default) in its own process; raw: ROUTER echo in its own process`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
