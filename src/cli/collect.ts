/** `sim2real collect <scenario>`: expert demonstrations to MCAP, on worker threads. */
import type { Command } from 'commander';
import { loadScenario } from '../sim/scenario-file.js';
import { collect } from '../collect/collect.js';
import { wilson } from '../episodes/summary.js';
import { startProgress } from '../ui/progress.js';
import { nonNegativeInt, nonNegativeNumber, positiveInt } from '../ui/number-options.js';

interface CollectFlags {
  episodes: number;
  out: string;
  workers: number;
  randomize?: boolean;
  expertNoise: number;
  compensateDelay?: boolean;
  seed: number;
  sceneEvery: number;
  json?: boolean;
}

export function registerCollect(program: Command): void {
  program
    .command('collect')
    .description('run the scripted expert and write demonstration episodes (MCAP)')
    .argument('<scenario>', 'scenario file (YAML)')
    .requiredOption('--episodes <n>', 'number of episodes', positiveInt)
    .requiredOption('--out <dir>', 'output directory')
    .option('--workers <w>', 'worker threads', positiveInt, 2)
    .option('--randomize', "apply the scenario's domain randomization")
    .option(
      '--expert-noise <sigma>',
      'DART noise: gaussian std on executed expert actions (labels stay clean)',
      nonNegativeNumber,
      0,
    )
    .option(
      '--compensate-delay',
      "record observations predicted for the present from each episode's drawn latency and sensing delay (training data for a policy that compensates a robot's loop delay; navigate)",
    )
    .option('--seed <s>', 'episode i uses seed s + i', nonNegativeInt, 0)
    .option('--scene-every <k>', 'write the Foxglove /scene channel every k steps', positiveInt, 1)
    .option('--json', 'print the report as JSON')
    .action(async (file: string, o: CollectFlags) => {
      const sc = loadScenario(file);
      const bar = startProgress(`collect ${sc.name}`, o.episodes, { unit: 'ep', quiet: o.json });
      let ok = 0;
      let n = 0;
      const t0 = performance.now();
      const res = await collect({
        scenario: sc,
        episodes: o.episodes,
        out: o.out,
        workers: o.workers,
        randomize: o.randomize === true,
        expertNoise: o.expertNoise,
        compensateDelay: o.compensateDelay === true,
        seed: o.seed,
        sceneEvery: o.sceneEvery,
        onEpisode: (e) => {
          n++;
          ok += e.success ? 1 : 0;
          bar.tick(1, `success ${((100 * ok) / n).toFixed(1)}%`);
        },
      });
      bar.stop();
      const report = {
        scenario: sc.name,
        randomized: o.randomize === true,
        expertNoise: o.expertNoise,
        compensateDelay: o.compensateDelay === true,
        files: res.files,
        episodes: res.episodes,
        successRate: res.successes / Math.max(1, res.episodes),
        successCi95: wilson(res.successes, res.episodes),
        meanReturn: res.meanReturn,
        meanLength: res.meanLength,
        seconds: (performance.now() - t0) / 1000,
      };
      if (o.json) {
        console.log(JSON.stringify(report, null, 2));
        return;
      }
      const [lo, hi] = report.successCi95;
      console.log(`${report.episodes} episodes of ${sc.name} in ${report.seconds.toFixed(1)} s → ${o.out}`);
      console.log(
        `success ${(100 * report.successRate).toFixed(1)}% (95% CI ${(100 * lo).toFixed(1)}–${(100 * hi).toFixed(1)}%), mean return ${report.meanReturn.toFixed(2)}, mean length ${report.meanLength.toFixed(1)}`,
      );
    });
}
