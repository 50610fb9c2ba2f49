/**
 * A PPO training run, from scratch or from a policy, into a run directory: config.json,
 * metrics.jsonl (one row per update; with `evalEvery` K also a deterministic evaluation every K
 * updates), success.svg / return.svg (learning curves against env steps), checkpoints/latest (every
 * `checkpointEvery` updates; `resume` continues from it, or starts over when a run died before its
 * first one), policy/ (the final checkpoint) and eval.json (the final deterministic evaluation in
 * nominal sim). `sim2real train --algo ppo` only turns its flags into a TrainPpoConfig and prints
 * the report.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { loadScenario } from '../sim/scenario-file.js';
import type { Scenario } from '../sim/scenario-schema.js';
import { initBackend, type BackendName } from '../policy/models/backend.js';
import type { GaussianMlpPolicy } from '../policy/models/gaussian-policy.js';
import { loadCheckpoint, saveCheckpoint } from '../policy/checkpoints/checkpoint.js';
import { codeVersion } from '../policy/checkpoints/version.js';
import { evaluate, successFields, type EvaluationReport, type SuccessFields } from '../policy/evaluate.js';
import { DEFAULT_PPO_CONFIG, isPpoUpdateMetrics } from '../policy/ppo/config.js';
import { plotLearningCurves, resolvePpoConfig, trainPpo as runPpo, type PpoConfig } from '../policy/ppo/ppo.js';
import { hasTrainingCheckpoint } from '../policy/ppo/state.js';
import { RunDir } from '../runs/run-dir.js';
import { wholePercent } from '../ui/percent.js';
import { withDefaults, type RunHooks } from '../ui/run-hooks.js';
import { recentEpisodes, trainingProgress } from './train-ppo-progress.js';

/**
 * What a PPO run does, as plain data (a JSON file can hold it). PPO settings left out take their
 * defaults (FINE_TUNE_DEFAULTS with `init`); a resumed run keeps its checkpoint's, except
 * `envSteps` (to extend it) and `workers`.
 */
export interface TrainPpoConfig extends Partial<PpoConfig> {
  /** A scenario file, or the name of a built-in scenario. */
  scenario: string;
  /** The run directory (default runs/ppo-<scenario name>). */
  out?: string;
  /** Start from this policy: a run directory (its policy/) or a policy checkpoint directory; null or unset: a fresh policy. */
  init?: string | null;
  /**
   * Episodes of the final evaluation and of every periodic one (default 50). 0 skips the final
   * one; periodic evaluations (`evalEvery`) then run the default number.
   */
  evalEpisodes?: number;
  /** The tfjs backend (default: the best available). */
  backend?: BackendName | null;
}

export interface TrainPpoOptions {
  /** Continue the run in `out` from checkpoints/latest; a run killed before its first checkpoint starts over. */
  resume?: boolean;
  hooks?: RunHooks;
}

export interface TrainPpoReport extends SuccessFields {
  run: string;
  policy: string;
  policyId: string;
  scenario: string;
  updates: number;
  envSteps: number;
  wallSeconds: number;
  /** Success rate of the training episodes in the last updates (stochastic policy, training envs). */
  trainSuccessRate: number | null;
  /** The deterministic evaluation (nominal sim); null with evalEpisodes 0. */
  evaluation: EvaluationReport | null;
}

/** `init` names a run: its final policy; else it is a checkpoint directory. */
function initDir(path: string): string {
  return existsSync(join(path, 'policy', 'policy.json')) ? join(path, 'policy') : path;
}

/**
 * The run directory, refused when it holds a run that is not being resumed; whether a checkpoint is
 * resumed. The messages name the CLI's flags (`resume`, `out`, `init` here): the CLI shows them as they are.
 */
function openRun(
  path: string,
  init: string | null | undefined,
  resume: boolean,
  hooks: Required<RunHooks>,
): { run: RunDir; resuming: boolean } {
  const run = new RunDir(path);
  const hasRun = existsSync(join(run.path, 'metrics.jsonl')) || existsSync(run.checkpointsDir);
  if (!resume && hasRun) {
    throw new InputError(
      `${run.path}: expected a new run directory, got one with a run in it (use --resume to continue it, or another --out)`,
    );
  }
  const resuming = resume && hasTrainingCheckpoint(run.latestDir);
  if (resuming && init)
    throw new InputError('--init: a resumed run continues from its own checkpoint; drop --init or --resume');
  if (resume && !resuming)
    hooks.note(`${run.path}: no checkpoint to resume from yet; starting the run from the beginning`);
  return { run, resuming };
}

async function finalEvaluation(
  policy: GaussianMlpPolicy,
  sc: Scenario,
  episodes: number,
  workers: number,
  hooks: Required<RunHooks>,
): Promise<EvaluationReport> {
  const bar = hooks.progress(`eval ${policy.id}`, episodes, 'ep');
  let ok = 0;
  let n = 0;
  const evaluation = await evaluate(policy, sc, {
    episodes,
    workers,
    onEpisode: (e) => {
      n++;
      ok += e.success ? 1 : 0;
      bar.tick(1, `success ${wholePercent(ok / n)}`);
    },
  });
  bar.stop();
  return evaluation;
}

/** Train, evaluate and save a policy as `config` says; with `resume`, finish the run already in `out`. */
export async function trainPpo(config: TrainPpoConfig, opts: TrainPpoOptions = {}): Promise<TrainPpoReport> {
  const hooks = withDefaults(opts.hooks);
  const {
    scenario,
    out,
    init: initPath,
    evalEpisodes: finalEpisodes = DEFAULT_PPO_CONFIG.evalEpisodes,
    backend: backendName,
    ...settings
  } = config;
  const sc = loadScenario(scenario);
  // A final evaluation of 0 episodes is skipped; periodic ones need some.
  const given: Partial<PpoConfig> = { ...settings, evalEpisodes: finalEpisodes > 0 ? finalEpisodes : undefined };
  const { run, resuming } = openRun(out ?? join('runs', `ppo-${sc.name}`), initPath, opts.resume === true, hooks);
  const backend = await initBackend(backendName ?? undefined);
  const init = initPath
    ? (await loadCheckpoint(initDir(initPath), { contract: sc.contract, what: `scenario ${sc.name}` })).policy
    : undefined;
  if (!resuming) {
    run.writeConfig({
      command: 'train',
      algo: 'ppo',
      scenario,
      scenarioName: sc.name,
      init: initPath ?? null,
      initPolicyId: init?.id ?? null,
      config: resolvePpoConfig(given, init),
      backend: backend.name,
      codeVersion: codeVersion(),
      startedAt: new Date().toISOString(),
    });
  }

  let policy: GaussianMlpPolicy | undefined;
  try {
    const progress = trainingProgress(hooks, sc.name);
    const { onStart, onProgress } = progress;
    const result = await runPpo({ scenario: sc, ...given, init, run, resume: opts.resume, onStart, onProgress });
    progress.stop();
    policy = result.policy;
    // The whole run's rows, the ones logged before a resume included.
    const rows = run.readMetrics().filter(isPpoUpdateMetrics);
    const last = rows.at(-1);
    await plotLearningCurves(run, sc.name);
    let evaluation: EvaluationReport | null = null;
    if (finalEpisodes > 0) {
      evaluation = await finalEvaluation(policy, sc, finalEpisodes, result.config.workers, hooks);
      run.writeJson('eval.json', evaluation);
    }
    await saveCheckpoint(run.policyDir, policy, {
      scenario: sc,
      training: { algo: 'ppo', ...result.config, init: initPath ?? null },
      metrics: { lastUpdate: last ?? null, evaluation },
    });
    return {
      run: run.path,
      policy: run.policyDir,
      policyId: policy.id,
      scenario: sc.name,
      updates: last?.update ?? 0,
      envSteps: last?.envSteps ?? 0,
      wallSeconds: last?.wallSeconds ?? 0,
      trainSuccessRate: recentEpisodes(rows).success,
      evaluation,
      ...successFields(evaluation),
    };
  } finally {
    policy?.dispose();
    init?.dispose();
  }
}
