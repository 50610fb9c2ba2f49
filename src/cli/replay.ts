/** `sim2real replay <file> --episode K --check`: re-simulate a logged episode from its snapshot. */
import type { Command } from 'commander';
import { loadRapier } from '../sim/rapier.js';
import { InputError, loadScenario } from '../sim/scenario-file.js';
import { ScenarioSchema, type Scenario } from '../sim/scenario-schema.js';
import { readEpisodes } from '../episodes/reader.js';
import { replayCheck, replayEngine } from '../replay/replay-check.js';
import { compareEpisodes } from '../replay/compare.js';
import { nonNegativeInt, nonNegativeNumber } from '../ui/number-options.js';
import type { Episode } from '../episodes/types.js';

interface ReplayFlags {
  episode: number;
  check?: boolean;
  scenario?: string;
  tolerance: number;
  compare?: boolean;
  otherEpisode?: number;
  json?: boolean;
}

async function compareCommand(file: string, other: string | undefined, o: ReplayFlags): Promise<void> {
  if (!other) throw new InputError('replay --compare: expected two episode files, A (logged) and B (re-executed)');
  const pick = async (f: string, k: number | undefined) => {
    const { episodes } = await readEpisodes(f);
    const ep = k === undefined ? episodes[0] : episodes.find((e) => e.start.index === k);
    if (!ep)
      throw new InputError(
        `${f}: expected an episode${k === undefined ? '' : ` with index ${k}`}, got ${episodes.length ? `indices ${episodes.map((e) => e.start.index).join(', ')}` : 'none'}`,
      );
    return ep;
  };
  const a = await pick(file, o.episode);
  const b = await pick(other, o.otherEpisode);
  const r = compareEpisodes(a, b);
  if (o.json) {
    console.log(JSON.stringify({ a: file, b: other, ...r }, null, 2));
    return;
  }
  console.log(`compared ${r.compared} steps (A: ${r.stepsA}, B: ${r.stepsB}); success A ${r.successA} B ${r.successB}`);
  console.log(
    `observation drift: max ${r.maxObsDrift.toFixed(4)}, mean ${r.meanObsDrift.toFixed(4)}, at the last step ${r.finalObsDrift.toFixed(4)}; largest action difference ${r.maxActionDiff.toFixed(4)}`,
  );
  const every = Math.max(1, Math.ceil(r.steps.length / 20));
  for (const s of r.steps.filter((_, i) => i % every === 0 || i === r.steps.length - 1)) {
    console.log(
      `  step ${String(s.step).padStart(4)}  obs drift ${s.obsMaxAbs.toFixed(4)} (${s.obsComponent})  action diff ${s.actionMaxAbs.toFixed(4)}`,
    );
  }
}

/** The scenario an episode was recorded with: the copy inside the file, else --scenario. */
function scenarioOf(ep: Episode, override?: string): Scenario {
  if (override) return loadScenario(override);
  const spec = ep.start.scenarioSpec;
  if (spec === undefined)
    throw new InputError(`${ep.file}: episode ${ep.start.index} carries no scenario; pass --scenario FILE`);
  return ScenarioSchema.parse(spec);
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description(
      'replay a logged episode (--check: restore its initial snapshot, re-apply its actions, report divergence)',
    )
    .argument('<file>', 'episode file (MCAP)')
    .argument('[other]', 'with --compare: the re-executed run (MCAP)')
    .option(
      '--episode <k>',
      "the episode's index (#k in `episodes inspect`; a collect with w workers writes every w-th index to each file)",
      nonNegativeInt,
      0,
    )
    .option('--check', 're-simulate by state and report the largest divergence from the logged observations')
    .option('--compare', 'compare FILE (the logged run) with OTHER (a re-executed run) step by step')
    .option('--other-episode <k>', 'episode index in OTHER for --compare (default: the first)', nonNegativeInt)
    .option('--scenario <file>', 'scenario to rebuild the task from (default: the copy stored in the episode)')
    .option('--tolerance <x>', 'largest divergence that still passes the check', nonNegativeNumber, 0)
    .option('--json', 'print the report as JSON')
    .action(async (file: string, other: string | undefined, o: ReplayFlags) => {
      if (o.compare) return compareCommand(file, other, o);
      if (!o.check)
        throw new InputError(
          'replay: expected --check (re-simulate by state) or --compare A B (re-sending to a robot: `sim2real serve --replay FILE`)',
        );
      const { episodes } = await readEpisodes(file);
      const ep = episodes.find((e) => e.start.index === o.episode);
      if (!ep)
        throw new InputError(
          `${file}: expected an episode with index ${o.episode}, got indices ${episodes.map((e) => e.start.index).join(', ') || 'none'}`,
        );
      const sc = scenarioOf(ep, o.scenario);
      const res = replayCheck(await replayEngine(await loadRapier(), ep), sc, ep);
      if (o.json) {
        console.log(
          JSON.stringify({ file, episode: o.episode, scenario: sc.name, ...res, perStep: undefined }, null, 2),
        );
      } else {
        console.log(`replayed episode ${o.episode} of ${file} (${sc.name}): ${res.steps} steps`);
        console.log(
          `largest divergence from the logged observations: ${res.maxAbsDiff}${res.worstComponent ? ` (at ${res.worstComponent})` : ''}`,
        );
        console.log(
          res.firstDivergentStep === null
            ? 'identical at every step'
            : `first divergent step: ${res.firstDivergentStep}`,
        );
      }
      if (!(res.maxAbsDiff <= o.tolerance)) process.exitCode = 1;
    });
}
