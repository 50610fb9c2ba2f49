/** `sim2real adr <scenario>`: widen randomization ranges automatically while the expert keeps succeeding. */
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadRapier } from '../sim/rapier.js';
import { InputError, loadScenario } from '../sim/scenario-file.js';
import { Adr, type AdrState } from '../sim/adr.js';
import type { ParamName } from '../sim/wrappers/ranges.js';
import { runAdr } from '../collect/adr-run.js';
import { expertActor } from '../rollout/expert-actor.js';
import { wilson } from '../episodes/summary.js';
import { startProgress } from '../ui/progress.js';
import { nonNegativeInt, positiveInt } from '../ui/number-options.js';

interface AdrFlags {
  episodes: number;
  state: string;
  resume?: boolean;
  seed: number;
  json?: boolean;
}

function loadState(path: string): Adr {
  try {
    return Adr.fromState(JSON.parse(readFileSync(path, 'utf8')) as AdrState);
  } catch (e) {
    throw new InputError(`${path}: expected an ADR state file, got ${(e as Error).message.split('\n')[0]}`);
  }
}

export function registerAdr(program: Command): void {
  program
    .command('adr')
    .description(
      'automatic domain randomization: widen each range while the expert succeeds; saves and reports the state',
    )
    .argument('<scenario>', 'scenario file (YAML) with a randomization block (and optional adr block)')
    .requiredOption('--state <file>', 'ADR state file (JSON), written after every episode')
    .option('--episodes <n>', 'episodes to run', positiveInt, 200)
    .option('--resume', 'continue from the state file')
    .option('--seed <s>', 'episode i uses seed s + i', nonNegativeInt, 0)
    .option('--json', 'print the report as JSON')
    .action(async (file: string, o: AdrFlags) => {
      const sc = loadScenario(file);
      if (Object.keys(sc.randomization).length === 0)
        throw new InputError(`${file}:randomization: expected at least one range for ADR to open, got none`);
      const resume = o.resume && existsSync(o.state) ? loadState(o.state) : undefined;
      const R = await loadRapier();
      const bar = startProgress(`adr ${sc.name}`, o.episodes, { unit: 'ep', quiet: o.json });
      let ok = 0;
      let n = 0;
      let sumReturn = 0;
      let sumLength = 0;
      const adr = await runAdr(R, sc, expertActor(sc), {
        episodes: o.episodes,
        seed: o.seed,
        statePath: o.state,
        resume,
        onEpisode: (e) => {
          n++;
          ok += e.success ? 1 : 0;
          sumReturn += e.return;
          sumLength += e.length;
          bar.tick(1, `success ${((100 * ok) / n).toFixed(0)}% open ${(100 * e.openMean).toFixed(0)}%`);
        },
      });
      bar.stop();
      const params = Object.fromEntries(
        Object.entries(adr.state.params).map(([k, p]) => [
          k,
          { range: [p!.lo, p!.hi], full: p!.full, open: adr.openFractions()[k as ParamName] ?? 0 },
        ]),
      );
      // Success figures are this run's; totalEpisodes counts the resumed ones too.
      const report = {
        scenario: sc.name,
        state: o.state,
        episodes: n,
        successes: ok,
        successRate: ok / Math.max(1, n),
        successCi95: wilson(ok, n),
        meanReturn: sumReturn / Math.max(1, n),
        meanLength: sumLength / Math.max(1, n),
        totalEpisodes: adr.state.episodes,
        boundaryMoves: adr.state.history.length,
        params,
      };
      if (o.json) {
        console.log(JSON.stringify(report, null, 2));
        return;
      }
      console.log(
        `ADR on ${sc.name}: ${adr.state.episodes} episodes in total, ${report.boundaryMoves} boundary moves, expert success this run ${(100 * report.successRate).toFixed(1)}%`,
      );
      for (const [k, p] of Object.entries(params)) {
        console.log(
          `  ${k.padEnd(18)} [${p.range[0].toFixed(3)}, ${p.range[1].toFixed(3)}] of [${p.full[0]}, ${p.full[1]}]  open ${(100 * p.open).toFixed(0)}%`,
        );
      }
      console.log(`state saved to ${o.state}`);
    });
}
