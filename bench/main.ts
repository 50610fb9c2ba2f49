/** `npm run bench -- <suite> [options]`: speed figures measured against the raw libraries in the same run. */
import { Command, InvalidArgumentError } from 'commander';
import { benchSim } from './sim.js';
import { benchPolicy } from './policy.js';
import { benchBridge } from './bridge.js';
import { benchBridgeLoad, LOAD_CASES } from './bridge-load.js';
import { printTransfer } from './transfer.js';
import { runTransfer } from '../src/pipelines/transfer/transfer.js';
import { terminalHooks } from '../src/ui/run-hooks.js';
import { reportError } from '../src/ui/report-error.js';
import { positiveInt } from '../src/ui/number-options.js';
import { parseBackend, type BackendName } from '../src/policy/models/backend.js';

const program = new Command();
program.name('npm run bench --').description('sim2real benchmarks');
program
  .command('sim')
  .description(
    'env steps/s per scenario (single env, vector env with 1 and 2 workers) and physics overhead vs raw world.step()',
  )
  .option('--seconds <s>', 'time per measurement', '2')
  .option('--scenario <file>', 'one scenario file instead of the shipped ones')
  .option('--json', 'print JSON instead of a table')
  .action(async (o: { seconds: string; json?: boolean; scenario?: string }) =>
    benchSim({ seconds: Number(o.seconds), json: o.json === true, scenario: o.scenario }),
  );
program
  .command('policy')
  .description(
    'single-observation latency of policy.act (fast path) vs raw tfjs predict (p50/p99 µs, 500 Hz fit), hidden sizes, batch-64 throughput',
  )
  .option('--seconds <s>', 'time per latency measurement (each side)', '1')
  .option(
    '--backend <name>',
    'tfjs backend (tensorflow | wasm | cpu; default: the ladder)',
    (raw: string): BackendName => {
      try {
        return parseBackend(raw);
      } catch (e) {
        throw new InvalidArgumentError((e as Error).message);
      }
    },
  )
  .option('--json', 'print JSON instead of a table')
  .action(async (o: { seconds: string; json?: boolean; backend?: BackendName }) => {
    await benchPolicy({ seconds: Number(o.seconds), json: o.json === true, backend: o.backend });
  });

program
  .command('bridge')
  .description(
    'observation→action round trip through the policy server vs raw ZeroMQ ping-pong; 500 Hz deadline misses',
  )
  .option('--seconds-500 <s>', 'length of the 500 Hz run', '30')
  .option('--json', 'print JSON instead of a table')
  .action(async (o: { seconds500: string; json?: boolean }) =>
    benchBridge({ seconds500: Number(o.seconds500), json: o.json === true }),
  );

program
  .command('bridge-load')
  .description(
    'load and faults: 50 robots at 100 Hz, a flood of 10,000 obs, 10,000 garbage frames, 20 simultaneous connects, kill -9 and restart; misses of the well-behaved robots through the server vs raw ZeroMQ',
  )
  .option(
    '--seconds <s>',
    'length of the steady case (the others scale from it: attacks s/3, connects s/6, kill -9 s/10 before and s/6 after; at least 2-3 s each)',
    positiveInt,
    30,
  )
  .option('--deadline-ms <ms>', "a robot's deadline for its action (default: one control period)", positiveInt, 10)
  .option('--case <name>', `only this case (repeatable): ${LOAD_CASES.join(', ')}`, (v: string, acc: string[] = []) => {
    if (!(LOAD_CASES as readonly string[]).includes(v))
      throw new InvalidArgumentError(`expected one of ${LOAD_CASES.join(', ')}, got ${v}`);
    return [...acc, v];
  })
  .option('--json', 'print JSON instead of tables')
  .action(async (o: { seconds: number; deadlineMs: number; case?: string[]; json?: boolean }) => {
    try {
      await benchBridgeLoad({ seconds: o.seconds, deadlineMs: o.deadlineMs, cases: o.case, json: o.json === true });
    } catch (e) {
      process.exitCode = reportError(e, process.argv.includes('--verbose'));
    }
  });

program
  .command('transfer')
  .description(
    'success on the emulated robot of policies pretrained in nominal / randomized sim, fine-tuned on N real episodes, trained on them from scratch, normaliser-adapted (Wilson 95% CIs)',
  )
  .option(
    '--scenario <file>',
    'scenario file (repeatable; default: both shipped scenarios)',
    (v: string, acc: string[] = []) => [...acc, v],
  )
  .option('--reality <file>', 'reality profile (default: scenarios/reality/<scenario>.yaml)')
  .option('--episodes <n>', 'evaluation episodes per row (and per draw of real episodes)', positiveInt, 200)
  .option('--sizes <list>', 'numbers of real episodes', '5,20,50')
  .option(
    '--draws <k>',
    'independent recordings of real episodes, pooled in the fine-tuned / from-scratch / normaliser rows',
    positiveInt,
    3,
  )
  .option(
    '--real-mode <mode>',
    'who drives while real episodes are recorded: expert | dagger (the pretrained policy drives, the expert labels)',
    'expert',
  )
  .option('--workers <w>', 'worker threads (collection, evaluation)', positiveInt, 2)
  .option('--out <dir>', 'keep demonstrations, real episodes and policies here')
  .option('--resume', 'continue the killed run in --out (finished stages are kept)')
  .option('--json', 'print JSON instead of tables')
  .action(
    async (o: {
      scenario?: string[];
      reality?: string;
      episodes: number;
      sizes: string;
      draws: number;
      realMode: string;
      workers: number;
      out?: string;
      resume?: boolean;
      json?: boolean;
    }) => {
      try {
        const json = o.json === true;
        const config = {
          scenarios: o.scenario,
          reality: o.reality,
          episodes: o.episodes,
          sizes: o.sizes.split(',').map(Number),
          draws: o.draws,
          realMode: o.realMode as 'expert',
          workers: o.workers,
          out: o.out,
        };
        printTransfer(await runTransfer(config, { resume: o.resume === true, hooks: terminalHooks(json) }), json);
      } catch (e) {
        process.exitCode = reportError(e, process.argv.includes('--verbose'));
      }
    },
  );

await program.parseAsync(process.argv);
