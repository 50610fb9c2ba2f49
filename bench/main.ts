/** `npm run bench -- <suite> [options]`: speed figures measured against the raw libraries in the same run. */
import { Command, InvalidArgumentError } from 'commander';
import { benchSim } from './sim.js';
import { benchPolicy } from './policy.js';
import { benchBridge } from './bridge.js';
import { parseBackend, type BackendName } from '../src/policy/backend.js';

const program = new Command();
program.name('npm run bench --').description('sim2real benchmarks');
program
  .command('sim')
  .description('env steps/s per scenario (single env, vector env with 1 and 2 workers) and physics overhead vs raw world.step()')
  .option('--seconds <s>', 'time per measurement', '2')
  .option('--scenario <file>', 'one scenario file instead of the shipped ones')
  .option('--json', 'print JSON instead of a table')
  .action(async (o: { seconds: string; json?: boolean; scenario?: string }) => benchSim({ seconds: Number(o.seconds), json: o.json === true, scenario: o.scenario }));
program
  .command('policy')
  .description('single-observation latency of policy.act (fast path) vs raw tfjs predict (p50/p99 µs, 500 Hz fit), hidden sizes, batch-64 throughput')
  .option('--seconds <s>', 'time per latency measurement (each side)', '1')
  .option('--backend <name>', 'tfjs backend (tensorflow | wasm | cpu; default: the ladder)', (raw: string): BackendName => {
    try {
      return parseBackend(raw);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  })
  .option('--json', 'print JSON instead of a table')
  .action(async (o: { seconds: string; json?: boolean; backend?: BackendName }) => {
    await benchPolicy({ seconds: Number(o.seconds), json: o.json === true, backend: o.backend });
  });

program
  .command('bridge')
  .description('observation→action round trip through the policy server vs raw ZeroMQ ping-pong; 500 Hz deadline misses')
  .option('--seconds-500 <s>', 'length of the 500 Hz run', '30')
  .option('--json', 'print JSON instead of a table')
  .action(async (o: { seconds500: string; json?: boolean }) => benchBridge({ seconds500: Number(o.seconds500), json: o.json === true }));

await program.parseAsync(process.argv);
