/** `npm run bench -- <suite> [options]`: speed figures measured against the raw libraries in the same run. */
import { Command } from 'commander';
import { benchSim } from './sim.js';

const program = new Command();
program.name('npm run bench --').description('sim2real benchmarks');
program
  .command('sim')
  .description('env steps/s per scenario (single env, vector env with 1 and 2 workers) and physics overhead vs raw world.step()')
  .option('--seconds <s>', 'time per measurement', '2')
  .option('--scenario <file>', 'one scenario file instead of the shipped ones')
  .option('--json', 'print JSON instead of a table')
  .action(async (o: { seconds: string; json?: boolean; scenario?: string }) => benchSim({ seconds: Number(o.seconds), json: o.json === true, scenario: o.scenario }));

await program.parseAsync(process.argv);
