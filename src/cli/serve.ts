/** `sim2real serve`: serve a policy (or a logged episode's actions) to robots over ZeroMQ until stopped. */
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { initBackend, parseBackend } from '../policy/backend.js';
import { loadPolicyDir } from '../policy/policy-dir.js';
import { PolicyServer } from '../bridge/server.js';
import { checkBindSecurity } from '../bridge/endpoint.js';
import { checkpointLoader } from '../bridge/served-policy.js';
import { loadReplayPolicy } from '../bridge/replay-policy.js';
import type { Policy } from '../policy/policy.js';
import { readAllowList, readKeyPair } from './keys-files.js';
import { nonNegativeInt, positiveInt } from './options.js';

interface ServeFlags {
  policy?: string;
  replay?: string;
  episode: number;
  bind: string;
  record?: string;
  curveKeys?: string;
  allow: string[];
  insecure?: boolean;
  heartbeatMs: number;
  backend?: string;
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
    .option('--curve-keys <prefix>', 'server CurveZMQ key pair PREFIX.key / PREFIX.pub (see `keys generate`)')
    .option('--allow <file>', 'robot public keys allowed in (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--insecure', 'allow a non-loopback bind without CurveZMQ')
    .option('--heartbeat-ms <ms>', 'heartbeat interval', positiveInt, 250)
    .option('--backend <name>', 'tfjs backend: tensorflow | wasm | cpu')
    .action(async (o: ServeFlags) => {
      if (!o.policy === !o.replay) throw new InputError('serve: expected exactly one of --policy RUN or --replay FILE');
      if (o.curveKeys && o.allow.length === 0) throw new InputError('--allow: expected at least one robot public key file with --curve-keys');
      // Before loading anything: an exposed bind is refused at once.
      checkBindSecurity(o.bind, { curve: !!o.curveKeys, insecure: o.insecure === true });
      const curve = o.curveKeys ? { ...readKeyPair(o.curveKeys), allow: readAllowList(o.allow) } : undefined;
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
      const server = await PolicyServer.start({
        bind: o.bind,
        policy,
        heartbeatMs: o.heartbeatMs,
        recordDir: o.record,
        scenario,
        insecure: o.insecure,
        curve,
        log,
        loadPolicy: checkpointLoader(policy.contract),
      });
      log(`tfjs backend ${backend.name}; recording to ${o.record}; Ctrl-C to stop`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      const stats = server.stats();
      await server.close();
      log(`stopped after ${stats.actions} actions to ${stats.robots} connected robot(s), ${stats.errors} errors`);
    });
}
