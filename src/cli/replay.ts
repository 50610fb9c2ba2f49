/** `sim2real replay <file> --episode K --check`: re-simulate a logged episode from its snapshot. */
import type { Command } from 'commander';
import { loadRapier } from '../sim/rapier.js';
import { InputError, loadScenario } from '../sim/scenario-file.js';
import { ScenarioSchema, type Scenario } from '../sim/scenario-schema.js';
import { readEpisodes } from '../episodes/reader.js';
import { replayCheck } from '../replay/replay-check.js';
import { nonNegativeInt, nonNegativeNumber } from './options.js';
import type { Episode } from '../episodes/types.js';

interface ReplayFlags {
  episode: number;
  check?: boolean;
  scenario?: string;
  tolerance: number;
  json?: boolean;
}

/** The scenario an episode was recorded with: the copy inside the file, else --scenario. */
export function scenarioOf(ep: Episode, override?: string): Scenario {
  if (override) return loadScenario(override);
  const spec = ep.start.scenarioSpec;
  if (spec === undefined) throw new InputError(`${ep.file}: episode ${ep.start.index} carries no scenario; pass --scenario FILE`);
  return ScenarioSchema.parse(spec);
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('replay a logged episode (--check: restore its initial snapshot, re-apply its actions, report divergence)')
    .argument('<file>', 'episode file (MCAP)')
    .option('--episode <k>', 'episode index in the file', nonNegativeInt, 0)
    .option('--check', 're-simulate by state and report the largest divergence from the logged observations')
    .option('--scenario <file>', 'scenario to rebuild the task from (default: the copy stored in the episode)')
    .option('--tolerance <x>', 'largest divergence that still passes the check', nonNegativeNumber, 0)
    .option('--json', 'print the report as JSON')
    .action(async (file: string, o: ReplayFlags) => {
      if (!o.check) throw new InputError('replay: expected --check (re-sending to a robot arrives with the bridge)');
      const { episodes } = await readEpisodes(file);
      const ep = episodes.find((e) => e.start.index === o.episode);
      if (!ep) throw new InputError(`${file}: expected an episode with index ${o.episode}, got indices ${episodes.map((e) => e.start.index).join(', ') || 'none'}`);
      const sc = scenarioOf(ep, o.scenario);
      const R = await loadRapier();
      const res = replayCheck(R, sc, ep);
      if (o.json) {
        console.log(JSON.stringify({ file, episode: o.episode, scenario: sc.name, ...res, perStep: undefined }, null, 2));
      } else {
        console.log(`replayed episode ${o.episode} of ${file} (${sc.name}): ${res.steps} steps`);
        console.log(`largest divergence from the logged observations: ${res.maxAbsDiff}${res.worstComponent ? ` (at ${res.worstComponent})` : ''}`);
        console.log(res.firstDivergentStep === null ? 'identical at every step' : `first divergent step: ${res.firstDivergentStep}`);
      }
      if (!(res.maxAbsDiff <= o.tolerance)) process.exitCode = 1;
    });
}
