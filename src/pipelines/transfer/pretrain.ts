/** Pretraining for the transfer benchmark: the recipe a user runs, `collect` then trainBc (with DAgger rounds). */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Scenario } from '../../sim/scenario-schema.js';
import { collect } from '../../collect/collect.js';
import { BC_DEFAULTS, type BcProgress } from '../../policy/bc/bc.js';
import type { RunHooks } from '../../ui/run-hooks.js';
import type { Recipe } from '../recipes.js';
import { bcRunDefaults, trainBc } from '../train-bc.js';

/**
 * Demonstrations into `dir`/demos, the BC run in `dir` (policy in `dir`/policy). A resumed variant
 * whose BC run had started continues it; one killed while collecting collects again.
 */
export async function pretrainVariant(
  run: { scenarioFile: string; sc: Scenario },
  randomize: boolean,
  recipe: Recipe,
  dir: string,
  o: { workers: number; resume: boolean; hooks: Required<RunHooks> },
): Promise<void> {
  const { sc } = run;
  const demos = join(dir, 'demos');
  const started = existsSync(join(dir, 'config.json'));
  if (!(o.resume && started)) {
    if (o.resume) rmSync(dir, { recursive: true, force: true });
    const bar = o.hooks.progress(
      `collect ${sc.name} (${randomize ? 'randomized sim' : 'nominal sim'})`,
      recipe.simDemos,
      'ep',
    );
    try {
      await collect({
        scenario: sc,
        episodes: recipe.simDemos,
        out: demos,
        workers: o.workers,
        randomize,
        expertNoise: recipe.expertNoise,
        compensateDelay: recipe.compensateDelay,
        sceneEvery: 0,
        onEpisode: () => bar.tick(1),
      });
    } finally {
      bar.stop();
    }
  }
  const bc = {
    ...bcRunDefaults(demos),
    epochs: recipe.epochs,
    daggerRounds: recipe.daggerRounds,
    daggerEpisodes: recipe.daggerEpisodes,
    daggerRandomize: randomize,
    // The benchmark evaluates every variant itself, on the robot too.
    evalEpisodes: 0,
    workers: o.workers,
  };
  await trainBc({ scenario: run.scenarioFile, out: dir, bc }, { resume: o.resume && started, hooks: o.hooks });
}

/** Epoch progress of a training run that may stop early (the display then ends at the epoch it stopped). */
export function epochProgress(
  hooks: Required<RunHooks>,
  label: string,
  epochs: number | undefined,
): { tick: (p: BcProgress) => void; stop: () => void } {
  const total = epochs ?? BC_DEFAULTS.epochs;
  const bar = hooks.progress(label, total, 'epoch');
  let shown = 0;
  let status = '';
  return {
    tick: (p) => {
      status = `val ${p.valLoss.toExponential(2)} best @${p.bestEpoch}`;
      bar.tick(p.epoch - shown, status);
      shown = p.epoch;
    },
    stop: () => {
      bar.tick(total - shown, `${status}, stopped at epoch ${shown}`);
      bar.stop();
    },
  };
}
