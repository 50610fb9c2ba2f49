/**
 * The demo's pretraining stages, for its two policies: the randomized one (expert demonstrations
 * and DAgger rounds in randomized sim, the recipe the rest of the demo adapts) and the nominal-only
 * baseline (the same number of demonstrations and epochs in nominal sim), which shows what the
 * randomization buys on the robot. Each is a collect stage and a behaviour-cloning stage.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { collect } from '../../collect/collect.js';
import { bcRunDefaults, trainBc, type TrainBcReport } from '../train-bc.js';
import { withBar, type DemoRun } from './context.js';

export type SimVariant = 'randomized' | 'nominal';

export interface Pretrained {
  /** Demonstration episodes (MCAP directory). */
  demos: string;
  expert: { episodes: number; successes: number };
  /** The BC run (its directory, policy, split, nominal-sim evaluation). */
  bc: TrainBcReport;
}

const LAYOUT: Record<SimVariant, { key: string; demos: string; run: string; sim: string }> = {
  randomized: { key: '', demos: 'sim-demos', run: 'pretrain', sim: 'randomized sim' },
  nominal: { key: 'Nominal', demos: 'sim-demos-nominal', run: 'pretrain-nominal', sim: 'nominal sim' },
};

/** The run directory of a variant's BC run (RUN/policy is its policy). */
export const pretrainDir = (out: string, v: SimVariant): string => join(out, LAYOUT[v].run);

export async function pretrainStages(run: DemoRun, v: SimVariant): Promise<Pretrained> {
  const { sc, budget: b, stage } = run;
  const { key, sim } = LAYOUT[v];
  const randomize = v === 'randomized';
  const demos = join(run.out, LAYOUT[v].demos);
  const baseline = randomize ? '' : ', for the nominal-only baseline';
  const expert = await stage(`collect${key}`, `collect expert demonstrations (${sim}${baseline})`, demos, () =>
    withBar(run, `collect ${sc.name}${randomize ? '' : ' (nominal)'}`, b.simDemos, 'ep', async (bar) => {
      // A killed collection left some episode files: collect them all again.
      if (run.resume) rmSync(demos, { recursive: true, force: true });
      let ok = 0;
      let done = 0;
      const r = await collect({
        scenario: sc,
        episodes: b.simDemos,
        out: demos,
        workers: run.workers,
        randomize,
        expertNoise: b.expertNoise,
        compensateDelay: b.compensateDelay,
        sceneEvery: 10,
        onEpisode: (e) => {
          ok += e.success ? 1 : 0;
          // Workers finish out of index order: count, don't read the index.
          bar.tick(1, `expert success ${ok}/${++done}`);
        },
      });
      return { episodes: r.episodes, successes: r.successes };
    }),
  );

  const dir = pretrainDir(run.out, v);
  const name = randomize ? 'pretrain: behaviour cloning' : 'pretrain the nominal-only baseline: behaviour cloning';
  const bc = await stage(`pretrain${key}`, name, join(dir, 'policy'), () =>
    trainBc(
      {
        scenario: run.scenarioFile,
        out: dir,
        bc: {
          ...bcRunDefaults(demos),
          epochs: b.epochs,
          daggerRounds: randomize ? b.daggerRounds : b.baselineDaggerRounds,
          daggerEpisodes: b.daggerEpisodes,
          // The states the DAgger rounds relabel come from the demonstrations' sim.
          daggerRandomize: randomize,
          evalEpisodes: b.simEval,
          workers: run.workers,
        },
      },
      // A killed pretraining continues from its last checkpoint.
      { resume: run.resume && existsSync(join(dir, 'config.json')), hooks: run.hooks },
    ),
  );
  return { demos, expert, bc };
}
