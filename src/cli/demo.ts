/**
 * `sim2real demo`: the whole job on built-in defaults, sim to (emulated) robot in one process —
 * src/pipelines/demo/demo.ts runs the stages. Prints the transfer table; the run has report.html.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { formatDemoNotes, formatTransferTable, transferRows } from '../pipelines/demo/report.js';
import { terminalHooks } from '../ui/run-hooks.js';
import { printBcReport } from './train.js';
import { positiveInt } from '../ui/number-options.js';

interface DemoFlags {
  scenario: string;
  reality?: string;
  out: string;
  quick?: boolean;
  workers: number;
  resume?: boolean;
  json?: boolean;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'the pipeline on built-in defaults: sim demos → BC (randomized, and a nominal-only baseline) → sim eval → policy server + emulated robot → zero-shot → robot demos → fine-tune → deploy if it beats zero-shot on validation episodes → robot eval; transfer table + report.html',
    )
    .option('--scenario <name>', 'grasp, navigate, or a scenario file', 'grasp')
    .option('--reality <file>', "reality profile of the emulated robot (default: the demo's profile for the scenario)")
    .option('--out <dir>', 'run directory', `runs/demo-${new Date().toISOString().replace(/[:.]/g, '-')}`)
    .option('--quick', 'smaller budget (about 3 minutes on 2 cores)')
    .option('--workers <w>', 'worker threads', positiveInt, 2)
    .option(
      '--resume',
      'continue the killed demo in --out: finished stages are kept (with the settings it started with)',
    )
    .option('--json', 'print the result (demo.json: every figure and the transfer rows) as JSON instead of the table')
    .action(async (o: DemoFlags) => {
      const { runDemo } = await import('../pipelines/demo/demo.js');
      const { result, pretrain, report, reality } = await runDemo(
        { scenario: o.scenario, reality: o.reality, out: o.out, quick: o.quick === true, workers: o.workers },
        { resume: o.resume === true, hooks: terminalHooks(false) },
      );
      if (o.json) {
        console.log(JSON.stringify({ ...result, transfer: transferRows(result), report }, null, 2));
        return;
      }
      // As `sim2real train` prints it (the demo's stdout has always carried the pretraining report).
      printBcReport(pretrain);
      console.log(
        `\nTransfer on ${result.scenario} (reality profile ${reality}), ${result.totalSeconds.toFixed(0)} s:\n`,
      );
      console.log(formatTransferTable(transferRows(result)));
      console.log(`\n${formatDemoNotes(result)}`);
      console.log(`\nReport: ${report}`);
      console.log(
        `Episodes (MCAP, open in Foxglove): ${join(o.out, 'sim-demos')}, ${join(o.out, 'real-demos')}, ${result.recordings}`,
      );
    });
}
