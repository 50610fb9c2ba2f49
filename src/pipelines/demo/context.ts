/** What the demo's stages share once the run's inputs are resolved. */
import type { Rapier } from '../../sim/rapier.js';
import type { Scenario } from '../../sim/scenario-schema.js';
import type { Reality } from '../../sim/reality.js';
import type { StageRecord } from '../../runs/stage-log.js';
import type { Progress } from '../../ui/progress.js';
import type { RunHooks } from '../../ui/run-hooks.js';
import type { DemoBudget } from './budget.js';

export interface DemoRun {
  R: Rapier;
  sc: Scenario;
  scenarioFile: string;
  reality: Reality;
  realityFile: string;
  out: string;
  budget: DemoBudget;
  workers: number;
  quick: boolean;
  resume: boolean;
  hooks: Required<RunHooks>;
  /** Run `f` as the stage `key` unless a killed run finished it (then its logged result). */
  stage: <T>(key: string, name: string, artefact: string, f: () => Promise<T>) => Promise<T>;
  stages: StageRecord[];
  t0: number;
}

/** Run f with a progress display that is stopped however f ends (a live bar keeps the process alive). */
export async function withBar<T>(
  run: DemoRun,
  label: string,
  total: number,
  unit: string,
  f: (bar: Progress) => Promise<T>,
): Promise<T> {
  const bar = run.hooks.progress(label, total, unit);
  try {
    return await f(bar);
  } finally {
    bar.stop();
  }
}
