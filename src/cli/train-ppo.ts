/**
 * `sim2real train <scenario> --algo ppo`: PPO from scratch or from a policy (`--init RUN`), into a
 * run directory: config.json, metrics.jsonl (one row per update; with `--eval-every K` also a
 * deterministic evaluation every K updates), success.svg / return.svg (learning curves against
 * env steps), checkpoints/latest (every 10 updates; `--resume` continues from it, or starts over
 * when a run died before its first one), policy/ (the final checkpoint) and eval.json (the final
 * deterministic evaluation in nominal sim, `--eval-episodes`, default 50).
 * src/cli/train.ts owns the command; this file is its `--algo ppo` branch.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadScenario } from '../sim/scenario-file.js';
import { InputError } from '../errors.js';
import { initBackend, parseBackend } from '../policy/models/backend.js';
import { loadCheckpoint, saveCheckpoint } from '../policy/checkpoints/checkpoint.js';
import { evaluate, successFields, type EvaluationReport, type SuccessFields } from '../policy/evaluate.js';
import { codeVersion } from '../policy/checkpoints/version.js';
import { hasTrainingCheckpoint } from '../policy/ppo/state.js';
import { plotLearningCurves, resolvePpoConfig, trainPpo, type PpoConfig, type PpoStart, type PpoUpdateMetrics } from '../policy/ppo/ppo.js';
import { RunDir } from '../runs/run-dir.js';
import { startProgress, type Progress } from '../ui/progress.js';

/** The flags of `train --algo ppo` (numbers may arrive as strings when the caller did not parse them). */
export interface TrainPpoFlags {
  /** A run directory (its policy/) or a policy checkpoint directory to start from. */
  init?: string;
  /** Run directory (default runs/ppo-<scenario>). */
  out?: string;
  envSteps?: number | string;
  numEnvs?: number | string;
  workers?: number | string;
  rolloutSteps?: number | string;
  lr?: number | string;
  epochs?: number | string;
  minibatches?: number | string;
  entCoef?: number | string;
  /** Stop an update's epochs once the approximate KL exceeds this. */
  targetKl?: number | string;
  /** Updates that train only the critic at the start (default: 30 with an --init policy without a critic, else 0). */
  criticWarmup?: number | string;
  frozenLayers?: number | string;
  checkpointEvery?: number | string;
  /** Evaluation episodes at the end and of every periodic evaluation (default 50; 0 skips the final one). */
  evalEpisodes?: number | string;
  /** Also evaluate every this many updates, logged to metrics.jsonl and the plots (default 0: only at the end). */
  evalEvery?: number | string;
  randomize?: boolean;
  seed?: number | string;
  resume?: boolean;
  /** Hidden layer sizes of a fresh policy, e.g. "64,64". */
  hidden?: string | number[];
  backend?: string;
  json?: boolean;
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

function num(flag: string, raw: number | string | undefined, ok: (n: number) => boolean, kind: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = typeof raw === 'number' ? raw : Number(raw);
  if ((typeof raw === 'string' && raw.trim() === '') || !Number.isFinite(n) || !ok(n)) throw new InputError(`--${flag}: expected ${kind}, got "${raw}"`);
  return n;
}
const posInt = (flag: string, raw: number | string | undefined) => num(flag, raw, (n) => Number.isInteger(n) && n >= 1, 'a positive integer', );
const nonNegInt = (flag: string, raw: number | string | undefined) => num(flag, raw, (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer');

function parseHidden(raw: string | number[] | undefined): number[] | undefined {
  if (raw === undefined) return undefined;
  const parts = Array.isArray(raw) ? raw : raw.split(',').map((s) => Number(s.trim()));
  if (parts.length === 0 || parts.some((n) => !Number.isInteger(n) || n < 1)) throw new InputError(`--hidden: expected comma-separated positive integers like 64,64, got "${String(raw)}"`);
  return parts;
}

/** Settings given on the command line (undefined = not given: the default, or the resumed run's). */
function configFlags(f: TrainPpoFlags): Partial<PpoConfig> {
  return {
    envSteps: posInt('env-steps', f.envSteps),
    numEnvs: posInt('num-envs', f.numEnvs),
    workers: posInt('workers', f.workers),
    rolloutSteps: posInt('rollout-steps', f.rolloutSteps),
    learningRate: num('lr', f.lr, (n) => n > 0, 'a positive number'),
    epochs: posInt('epochs', f.epochs),
    minibatches: posInt('minibatches', f.minibatches),
    entCoef: num('ent-coef', f.entCoef, (n) => n >= 0, 'a non-negative number'),
    targetKl: num('target-kl', f.targetKl, (n) => n > 0, 'a positive number'),
    criticWarmup: nonNegInt('critic-warmup', f.criticWarmup),
    frozenLayers: nonNegInt('frozen-layers', f.frozenLayers),
    checkpointEvery: posInt('checkpoint-every', f.checkpointEvery),
    evalEvery: nonNegInt('eval-every', f.evalEvery),
    evalEpisodes: f.evalEpisodes === undefined || Number(f.evalEpisodes) === 0 ? undefined : posInt('eval-episodes', f.evalEpisodes),
    seed: nonNegInt('seed', f.seed),
    hidden: parseHidden(f.hidden),
    randomize: f.randomize ? true : undefined,
  };
}

/** `--init RUN`: the run's final policy, else RUN as a checkpoint directory. */
function initDir(path: string): string {
  return existsSync(join(path, 'policy', 'policy.json')) ? join(path, 'policy') : path;
}

function pct(x: number | null): string {
  return x === null || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(0)}%`;
}

/** Success rate and mean return over the last `k` updates' episodes (for the live status). */
function recent(history: PpoUpdateMetrics[], k = 5): { success: number | null; ret: number | null } {
  const rows = history.slice(-k).filter((m) => m.episodes > 0);
  const n = rows.reduce((s, m) => s + m.episodes, 0);
  if (n === 0) return { success: null, ret: null };
  return {
    success: rows.reduce((s, m) => s + (m.successRate ?? 0) * m.episodes, 0) / n,
    ret: rows.reduce((s, m) => s + (m.episodeReturn ?? 0) * m.episodes, 0) / n,
  };
}

export async function trainPpoCommand(scenarioFile: string, flags: TrainPpoFlags): Promise<TrainPpoReport> {
  const sc = loadScenario(scenarioFile);
  const given = configFlags(flags);
  const evalEpisodes = nonNegInt('eval-episodes', flags.evalEpisodes) ?? 50;
  const run = new RunDir(flags.out ?? join('runs', `ppo-${sc.name}`));
  const hasRun = existsSync(join(run.path, 'metrics.jsonl')) || existsSync(run.checkpointsDir);
  if (!flags.resume && hasRun) throw new InputError(`${run.path}: expected a new run directory, got one with a run in it (use --resume to continue it, or another --out)`);
  // --resume continues from checkpoints/latest; with none yet (killed before the first one) it starts over.
  const resuming = flags.resume === true && hasTrainingCheckpoint(run.latestDir);
  if (resuming && flags.init) throw new InputError('--init: a resumed run continues from its own checkpoint; drop --init or --resume');
  if (flags.resume && !resuming && !flags.json) process.stderr.write(`${run.path}: no checkpoint to resume from yet; starting the run from the beginning\n`);
  const backend = await initBackend(flags.backend ? parseBackend(flags.backend) : undefined);
  const init = flags.init ? (await loadCheckpoint(initDir(flags.init), { contract: sc.contract, what: `scenario ${sc.name}` })).policy : undefined;

  if (!resuming) {
    run.writeConfig({
      command: 'train',
      algo: 'ppo',
      scenario: scenarioFile,
      scenarioName: sc.name,
      init: flags.init ?? null,
      initPolicyId: init?.id ?? null,
      config: resolvePpoConfig(given, init),
      backend: backend.name,
      codeVersion: codeVersion(),
      startedAt: new Date().toISOString(),
    });
  }

  let bar: Progress | null = null;
  let stepsShown = 0;
  let lastEval: number | null = null;
  const history: PpoUpdateMetrics[] = [];
  const result = await trainPpo({
    scenario: sc,
    ...given,
    init,
    run,
    resume: flags.resume,
    onStart: (s: PpoStart) => {
      bar = startProgress(`ppo ${sc.name}${s.update > 0 ? ` (resumed at update ${s.update})` : ''}`, s.totalEnvSteps - s.envSteps, { unit: 'steps', quiet: flags.json });
      stepsShown = s.envSteps;
    },
    onProgress: (m, total) => {
      history.push(m);
      const r = recent(history);
      if (m.evalSuccessRate !== undefined) lastEval = m.evalSuccessRate;
      const evalText = lastEval === null ? '' : ` eval ${pct(lastEval)}`;
      bar?.tick(m.envSteps - stepsShown, `update ${m.update}/${total.updates} train success ${pct(r.success)} return ${r.ret === null ? '–' : r.ret.toFixed(2)}${evalText}`);
      stepsShown = m.envSteps;
    },
  });
  (bar as Progress | null)?.stop();
  const { policy } = result;
  const rows = run.readMetrics() as unknown as PpoUpdateMetrics[];
  const last = rows[rows.length - 1] as PpoUpdateMetrics | undefined;
  await plotLearningCurves(run, sc.name);

  let evaluation: EvaluationReport | null = null;
  if (evalEpisodes > 0) {
    const evalBar = startProgress(`eval ${policy.id}`, evalEpisodes, { unit: 'ep', quiet: flags.json });
    let ok = 0;
    let n = 0;
    evaluation = await evaluate(policy, sc, {
      episodes: evalEpisodes,
      workers: result.config.workers,
      onEpisode: (e) => {
        n++;
        ok += e.success ? 1 : 0;
        evalBar.tick(1, `success ${pct(ok / n)}`);
      },
    });
    evalBar.stop();
    run.writeJson('eval.json', evaluation);
  }
  const r = recent(rows);
  await saveCheckpoint(run.policyDir, policy, {
    scenario: sc,
    training: { algo: 'ppo', ...result.config, init: flags.init ?? null },
    metrics: { lastUpdate: (last ?? null), evaluation: evaluation },
  });
  const report: TrainPpoReport = {
    run: run.path,
    policy: run.policyDir,
    policyId: policy.id,
    scenario: sc.name,
    updates: last?.update ?? 0,
    envSteps: last?.envSteps ?? 0,
    wallSeconds: last?.wallSeconds ?? 0,
    trainSuccessRate: r.success,
    evaluation,
    ...successFields(evaluation),
  };
  policy.dispose();
  init?.dispose();
  if (flags.json) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    console.log(`PPO on ${sc.name}: ${report.updates} updates, ${report.envSteps} env steps in ${report.wallSeconds.toFixed(0)} s; training success (last updates) ${pct(report.trainSuccessRate)}`);
    if (evaluation) {
      const [lo, hi] = evaluation.successCi95;
      console.log(`evaluation (deterministic, nominal, ${evaluation.episodes} episodes): success ${pct(evaluation.successRate)} [${pct(lo)}, ${pct(hi)}], mean return ${evaluation.meanReturn.toFixed(2)}, mean length ${evaluation.meanLength.toFixed(0)}`);
    }
    console.log(`policy saved to ${run.policyDir}; metrics and plots in ${run.path}`);
  }
  return report;
}
