/** `sim2real serve`: serve a policy (or a logged episode's actions) to robots over ZeroMQ until stopped. */
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { initBackend, parseBackend } from '../policy/models/backend.js';
import { loadPolicyDir } from '../policy/checkpoints/policy-dir.js';
import type { ServerStats } from '../bridge/server.js';
import { DEFAULT_MAX_BACKLOG } from '../bridge/backlog.js';
import { checkBindSecurity } from '../bridge/endpoint.js';
import { checkpointLoader } from '../bridge/served-policy.js';
import { loadReplayPolicy } from '../bridge/replay-policy.js';
import type { Policy } from '../policy/models/policy.js';
import { readAllowList, readKeyPair } from './keys-files.js';
import { nonNegativeInt, positiveInt } from '../ui/number-options.js';

interface ServeFlags {
  policy?: string;
  replay?: string;
  episode: number;
  bind: string;
  record?: string;
  recordMaxMb: number;
  curveKeys?: string;
  allow: string[];
  deployAllow: string[];
  allowDeploy?: boolean;
  insecure?: boolean;
  heartbeatMs: number;
  maxBacklog: number;
  maxRobots?: number;
  statsEvery: number;
  backend?: string;
}

const collect = (v: string, acc: string[]) => [...acc, v];

/** One `--stats-every` line: totals since start, and what changed since the last line. */
function statsLine(s: ServerStats, prev: ServerStats | null, seconds: number): string {
  const rate = prev ? ((s.actions - prev.actions) / seconds).toFixed(1) : '-';
  const backlog = s.sessions.reduce((m, x) => Math.max(m, x.backlog), 0);
  return (
    `stats: ${s.robots} robot(s), ${s.actions} actions (${rate}/s), ${s.dropped} dropped, ${s.late} late, ${s.errors} errors, ` +
    `sessions ${s.sessionsOpened} opened / ${s.sessionsResumed} resumed, backlog max ${backlog}, send queue ${s.sendQueue} (max ${s.sendQueueMax}), policy ${s.policyId} v${s.policyVersion}`
  );
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve a policy to robots over ZeroMQ (ROUTER); Ctrl-C stops')
    .option('--policy <run>', 'run or checkpoint directory to serve')
    .option('--replay <file>', "serve a logged episode's actions open-loop instead of a policy")
    .option('--episode <k>', "the --replay episode's index (#k in `episodes inspect`)", nonNegativeInt, 0)
    .option('--bind <url>', 'endpoint to bind', 'tcp://127.0.0.1:5555')
    .option('--record <dir>', 'record served episodes (MCAP, source real) here', 'runs/served')
    .option(
      '--record-max-mb <mb>',
      'start a new recording file at an episode boundary past this size',
      positiveInt,
      256,
    )
    .option('--curve-keys <prefix>', 'server CurveZMQ key pair PREFIX.key / PREFIX.pub (see `keys generate`)')
    .option('--allow <file>', 'robot public keys allowed in (repeatable)', collect, [] as string[])
    .option(
      '--deploy-allow <file>',
      'with --curve-keys: public keys allowed to deploy (repeatable; robot keys cannot)',
      collect,
      [] as string[],
    )
    .option('--allow-deploy', 'without CurveZMQ: accept deployments from local processes (loopback binds only)')
    .option('--insecure', 'allow a non-loopback bind without CurveZMQ')
    .option('--heartbeat-ms <ms>', 'heartbeat interval', positiveInt, 250)
    .option(
      '--max-backlog <n>',
      'observations a robot may have waiting before the oldest is dropped (1-32)',
      positiveInt,
      DEFAULT_MAX_BACKLOG,
    )
    .option('--max-robots <n>', 'robot sessions at most (a hello beyond is refused: server full)', positiveInt)
    .option('--stats-every <s>', 'log a stats line every S seconds (0: never)', nonNegativeInt, 0)
    .option('--backend <name>', 'tfjs backend: tensorflow | wasm | cpu')
    .action(async (o: ServeFlags) => {
      if (!o.policy === !o.replay) throw new InputError('serve: expected exactly one of --policy RUN or --replay FILE');
      if (o.curveKeys && o.allow.length === 0)
        throw new InputError('--allow: expected at least one robot public key file with --curve-keys');
      if (o.deployAllow.length > 0 && !o.curveKeys)
        throw new InputError(
          '--deploy-allow: expected --curve-keys too (without CurveZMQ, --allow-deploy on a loopback bind)',
        );
      if (o.allowDeploy && o.curveKeys)
        throw new InputError('--allow-deploy: with --curve-keys, name the deployers with --deploy-allow instead');
      // Before loading anything: an exposed bind is refused at once.
      checkBindSecurity(o.bind, { curve: !!o.curveKeys, insecure: o.insecure === true });
      const curve = o.curveKeys ? { ...readKeyPair(o.curveKeys), allow: readAllowList(o.allow) } : undefined;
      const deployers = o.deployAllow.length > 0 ? readAllowList(o.deployAllow) : undefined;
      const backend = await initBackend(o.backend ? parseBackend(o.backend) : undefined);
      let policy: Policy;
      let scenario: { name: string; controlHz: number; safeAction?: number[] } | undefined;
      if (o.policy) {
        const { policy: p, file } = await loadPolicyDir(o.policy);
        policy = p;
        const sc = file.scenario as { name?: string; control?: { rate_hz?: number }; safe_action?: number[] } | null;
        if (sc?.name) scenario = { name: sc.name, controlHz: sc.control?.rate_hz ?? 0, safeAction: sc.safe_action };
      } else {
        const r = await loadReplayPolicy(o.replay!, o.episode);
        policy = r.policy;
        scenario = r.scenario;
      }
      const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      let fatal: Error | null = null;
      let onFatal: (e: Error) => void = () => {};
      const stopped = new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        onFatal = (e) => {
          fatal = e;
          resolve();
        };
      });
      // Loaded here, not at startup: commands that never open a socket do not load ZeroMQ, whose exit
      // handler can delay and warn on a busy machine.
      const { PolicyServer } = await import('../bridge/server.js');
      const s = await PolicyServer.start({
        bind: o.bind,
        policy,
        heartbeatMs: o.heartbeatMs,
        recordDir: o.record,
        recordMaxFileBytes: o.recordMaxMb * 1024 * 1024,
        scenario,
        insecure: o.insecure,
        curve,
        deployers,
        allowDeploy: o.allowDeploy === true,
        maxBacklog: o.maxBacklog,
        maxRobots: o.maxRobots,
        log,
        loadPolicy: checkpointLoader(policy.contract),
        onFatal: (e) => onFatal(e),
      });
      log(`tfjs backend ${backend.name}; recording to ${o.record}; Ctrl-C to stop`);
      let prev: ServerStats | null = null;
      const statsTimer =
        o.statsEvery > 0
          ? setInterval(() => {
              const now = s.stats();
              log(statsLine(now, prev, o.statsEvery));
              prev = now;
            }, o.statsEvery * 1000)
          : null;
      await stopped;
      if (statsTimer) clearInterval(statsTimer);
      const stats = s.stats();
      await s.close();
      // The server logged the one `fatal:` line. A supervisor (systemd, Docker, Kubernetes) restarts
      // a server that exits; one that stays up deaf it never would.
      if (fatal) process.exit(1);
      log(`stopped after ${stats.actions} actions to ${stats.robots} connected robot(s), ${stats.errors} errors`);
    });
}
