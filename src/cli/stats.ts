/** `sim2real stats`: a running server's health figures; exit 1 when it does not answer (a liveness probe). */
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { readKey, readKeyPair } from './keys-files.js';
import { positiveInt } from '../ui/number-options.js';

export function registerStats(program: Command): void {
  program
    .command('stats')
    .description(
      'ask a running `sim2real serve` for its figures (robots, backlogs, drops, errors); exit 1 if it does not answer',
    )
    .requiredOption('--server <url>', 'the server, e.g. tcp://127.0.0.1:5555')
    .option('--curve-keys <prefix>', 'our CurveZMQ key pair (on the server allow-list)')
    .option('--server-key <file>', "the server's public key file")
    .option('--timeout-ms <ms>', 'how long to wait for the answer', positiveInt, 1000)
    .option('--json', 'print the answer as JSON')
    .action(
      async (o: { server: string; curveKeys?: string; serverKey?: string; timeoutMs: number; json?: boolean }) => {
        if (!!o.curveKeys !== !!o.serverKey)
          throw new InputError('--curve-keys and --server-key: expected both or neither');
        const curve = o.curveKeys ? { ...readKeyPair(o.curveKeys), serverKey: readKey(o.serverKey!) } : undefined;
        const { probeStats } = await import('../bridge/stats-probe.js');
        const s = await probeStats(o.server, { timeoutMs: o.timeoutMs, curve });
        if (o.json) {
          console.log(JSON.stringify(s));
          return;
        }
        console.log(
          `${o.server}: policy ${s.policy_id} v${s.policy_version}, up ${s.uptime_s.toFixed(0)} s, ${s.robots} robot(s); ${s.served} actions, ${s.dropped} dropped, ${s.late} late, ${s.errors} errors; ` +
            `sessions ${s.sessions_opened} opened / ${s.sessions_resumed} resumed; send queue ${s.send_queue} (max ${s.send_queue_max})`,
        );
        for (const r of s.sessions)
          console.log(
            `  ${r.robot_id} (${r.session}): episode ${r.episode} step ${r.step}, backlog ${r.backlog}, served ${r.served}, dropped ${r.dropped}, late ${r.late}, errors ${r.errors}, silent ${r.silent_ms} ms`,
          );
      },
    );
}
