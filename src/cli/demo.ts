/**
 * `sim2real demo`: the whole job on built-in defaults, sim to (emulated) robot in one process —
 * see src/demo/pipeline.ts for the stages. Prints the transfer table and writes report.html.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { loadScenario } from '../sim/scenario-file.js';
import { checkRealityFor, loadReality } from '../sim/reality.js';
import { loadRapier } from '../sim/rapier.js';
import { initBackend } from '../policy/models/backend.js';
import { demoBudget } from '../pipelines/demo/budget.js';
import { runDemo } from '../pipelines/demo/demo.js';
import { formatTransferTable, transferRows, writeDemoReport } from '../pipelines/demo/report.js';
import { positiveInt } from '../ui/number-options.js';
import { projectRoot } from '../policy/checkpoints/version.js';

/** The package's own scenarios/ (the demo works from any working directory). */
const SCENARIO_DIR = join(projectRoot(), 'scenarios');
const SHORT_NAMES: Record<string, string> = { grasp: 'grasp-cube', navigate: 'navigate-obstacles', navigation: 'navigate-obstacles' };

function scenarioFile(name: string): string {
  const short = SHORT_NAMES[name];
  if (short) return join(SCENARIO_DIR, `${short}.yaml`);
  if (/\.ya?ml$/i.test(name)) {
    if (!existsSync(name)) throw new InputError(`--scenario: expected a scenario file, got "${name}" (not found)`);
    return name;
  }
  throw new InputError(`--scenario: expected grasp, navigate or a scenario file, got "${name}"`);
}

interface DemoFlags {
  scenario: string;
  reality?: string;
  out: string;
  quick?: boolean;
  workers: number;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the pipeline on built-in defaults: sim demos → BC → sim eval → policy server + emulated robot → zero-shot → robot demos → fine-tune → deploy → robot eval; transfer table + report.html')
    .option('--scenario <name>', 'grasp, navigate, or a scenario file', 'grasp')
    .option('--reality <file>', "reality profile of the emulated robot (default: the scenario's shipped one)")
    .option('--out <dir>', 'run directory', `runs/demo-${new Date().toISOString().replace(/[:.]/g, '-')}`)
    .option('--quick', 'smaller budget (about 3 minutes on 2 cores)')
    .option('--workers <w>', 'worker threads', positiveInt, 2)
    .action(async (o: DemoFlags) => {
      const file = scenarioFile(o.scenario);
      const sc = loadScenario(file);
      const realityFile = o.reality ?? join(SCENARIO_DIR, 'reality', `${sc.name}.yaml`);
      if (!existsSync(realityFile)) {
        throw new InputError(o.reality ? `--reality: expected a reality profile file, got "${o.reality}" (not found)` : `--reality: expected a reality profile file; none ships for scenario ${sc.name} (looked for ${realityFile})`);
      }
      const reality = loadReality(realityFile);
      // Before minutes of collecting and training, not at the first robot stage.
      checkRealityFor(reality, sc, realityFile, "the demo's scenario");
      const R = await loadRapier();
      const backend = await initBackend();
      const log = (line: string) => process.stderr.write(`${line}\n`);
      log(`sim2real demo: ${sc.name} against the reality profile ${reality.name} (${o.quick ? 'quick' : 'default'} budget, tfjs ${backend.name}) → ${o.out}`);
      const result = await runDemo({ R, scenario: sc, scenarioFile: file, reality, realityFile, out: o.out, budget: demoBudget(sc, o.quick === true), workers: o.workers, quick: o.quick === true, log });
      const report = await writeDemoReport(o.out, result);
      console.log(`\nTransfer on ${sc.name} (reality profile ${reality.name}), ${result.totalSeconds.toFixed(0)} s:\n`);
      console.log(formatTransferTable(transferRows(result)));
      console.log(`\nReport: ${report}`);
      console.log(`Episodes (MCAP, open in Foxglove): ${join(o.out, 'sim-demos')}, ${join(o.out, 'real-demos')}, ${result.recordings}`);
    });
}
