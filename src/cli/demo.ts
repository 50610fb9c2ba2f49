/**
 * `sim2real demo`: the simulator half of the pipeline on built-in defaults — expert demonstrations
 * in randomized sim for both scenarios, their summary, and an exact replay of one episode.
 * Policies, the bridge and the emulated robot join this command as they land.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadScenario } from '../sim/scenario-file.js';
import { loadRapier } from '../sim/rapier.js';
import { collect } from '../collect/collect.js';
import { readEpisodes } from '../episodes/reader.js';
import { summarizeEpisodes } from '../episodes/summary.js';
import { replayCheck } from '../replay/replay-check.js';
import { startProgress } from './progress.js';
import { positiveInt } from './options.js';

const SCENARIOS = ['scenarios/grasp-cube.yaml', 'scenarios/navigate-obstacles.yaml'];

interface DemoFlags {
  out: string;
  episodes: number;
  workers: number;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the pipeline on built-in defaults (today: expert demonstrations in randomized sim, summary, exact replay)')
    .option('--out <dir>', 'run directory', `runs/demo-${new Date().toISOString().replace(/[:.]/g, '-')}`)
    .option('--episodes <n>', 'episodes per scenario', positiveInt, 20)
    .option('--workers <w>', 'worker threads', positiveInt, 2)
    .action(async (o: DemoFlags) => {
      const R = await loadRapier();
      for (const file of SCENARIOS) {
        const sc = loadScenario(file);
        const dir = join(o.out, sc.name);
        const bar = startProgress(`collect ${sc.name}`, o.episodes, { unit: 'ep' });
        let ok = 0;
        let n = 0;
        await collect({
          scenario: sc,
          episodes: o.episodes,
          out: dir,
          workers: o.workers,
          randomize: true,
          onEpisode: (e) => {
            n++;
            ok += e.success ? 1 : 0;
            bar.tick(1, `success ${((100 * ok) / n).toFixed(0)}%`);
          },
        });
        bar.stop();
        const { files, episodes } = await readEpisodes(dir);
        const s = summarizeEpisodes(episodes, { files: files.length });
        const check = replayCheck(R, sc, episodes[0]);
        console.log(
          `${sc.name}: ${s.episodes} expert episodes in randomized sim, success ${(100 * s.successRate).toFixed(1)}% ` +
            `(95% CI ${(100 * s.successCi95[0]).toFixed(1)}–${(100 * s.successCi95[1]).toFixed(1)}%), mean return ${s.meanReturn.toFixed(2)}, ` +
            `mean length ${s.meanLength.toFixed(1)}; replay of episode 0 by state: max divergence ${check.maxAbsDiff} → ${dir}`,
        );
      }
      console.log(`\nOpen the .mcap files in Foxglove to watch the episodes (/scene channel).`);
    });
}
