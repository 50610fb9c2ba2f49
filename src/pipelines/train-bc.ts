/**
 * A behaviour-cloning run in a run directory: demonstrations (`bc.data`) → BC, optionally DAgger
 * rounds → policy/, evaluated in nominal sim. RUN/ gets config.json, metrics.jsonl (round, epoch,
 * trainLoss, valLoss; successRate on evaluated rows), loss.svg (+ success.svg), checkpoints/ (latest +
 * best, every epoch, so a killed run resumes), dagger/ (relabelled episodes) and policy/.
 * `sim2real train --algo bc` and `sim2real demo` run it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadScenario } from '../sim/scenario-file.js';
import { InputError } from '../errors.js';
import { initBackend, parseBackend } from '../policy/models/backend.js';
import { loadDataset, skippedFlaggedLine } from '../policy/data/dataset.js';
import { BC_DEFAULTS, DEFAULT_BC_HIDDEN } from '../policy/bc/bc.js';
import { DAGGER_DEFAULTS, trainBcDagger } from '../policy/bc/dagger.js';
import { saveCheckpoint } from '../policy/checkpoints/checkpoint.js';
import { evaluate, successFields, type EvaluationReport, type SuccessFields } from '../policy/evaluate.js';
import { codeVersion } from '../policy/checkpoints/version.js';
import { RunDir, type MetricRow } from '../runs/run-dir.js';
import { withDefaults, type RunHooks } from '../ui/run-hooks.js';
import { formatPercent as pct } from '../ui/percent.js';
import { evaluateWithProgress } from './evaluate-progress.js';

/** The settings of a BC run (config.json `bc`); a resumed run reuses them. */
export interface BcRunConfig {
  /** Demonstration episodes: an MCAP file or a directory of them. */
  data: string;
  hidden: number[];
  activation: 'relu' | 'tanh';
  epochs: number;
  batchSize: number;
  lr: number;
  valFraction: number;
  patience: number;
  seed: number;
  daggerRounds: number;
  daggerEpisodes: number;
  /** DAgger rounds drive the policy in randomized sim (absent in runs from before the flag: false). */
  daggerRandomize?: boolean;
  evalEpisodes: number;
  evalEvery: number;
  workers: number;
  /** Flagged episodes in `data` are used too (absent in runs from before the flag: false). */
  includeFlagged?: boolean;
}

/** The CLI's defaults: `sim2real train --algo bc --data DIR` runs with these. */
export function bcRunDefaults(data: string): BcRunConfig {
  return {
    data,
    hidden: DEFAULT_BC_HIDDEN,
    activation: BC_DEFAULTS.activation,
    epochs: BC_DEFAULTS.epochs,
    batchSize: BC_DEFAULTS.batchSize,
    lr: BC_DEFAULTS.lr,
    valFraction: 0.1,
    patience: BC_DEFAULTS.patience,
    seed: BC_DEFAULTS.seed,
    daggerRounds: 0,
    daggerEpisodes: DAGGER_DEFAULTS.episodesPerRound,
    daggerRandomize: false,
    evalEpisodes: 50,
    evalEvery: 0,
    workers: 2,
    includeFlagged: false,
  };
}

export interface TrainBcConfig {
  /** Scenario file, or a built-in scenario's name. */
  scenario: string;
  /** Run directory (default runs/bc-<scenario name>). */
  out?: string;
  /** May be left out when resuming: a resumed run keeps the settings it saved. */
  bc?: BcRunConfig;
  /** tensorflow | wasm | cpu (default: the best available). */
  backend?: string;
}

export interface TrainBcOptions {
  /** Continue the run in `out` from its last checkpoint. */
  resume?: boolean;
  hooks?: RunHooks;
}

export interface TrainBcReport extends SuccessFields {
  run: string;
  policy: string;
  policyId: string;
  scenario: string;
  algo: 'bc';
  backend: string;
  trainEpisodes: number;
  valEpisodes: number;
  trainSamples: number;
  valSamples: number;
  labels: { expert: number; action: number };
  epochs: number;
  bestEpoch: number;
  bestValLoss: number;
  stoppedEarly: boolean;
  daggerRounds: {
    round: number;
    rolloutSuccessRate: number | null;
    rows: number;
    epochs: number;
    bestValLoss: number;
  }[];
  trainSeconds: number;
  evaluation: EvaluationReport | null;
}

/** After a resume: forget rows the killed run logged past the point it resumes from. */
function pruneMetrics(run: RunDir, round: number, epoch: number): number {
  run.rewriteMetrics((r) => {
    if (r.final === true) return false; // written again after training
    const rr = typeof r.round === 'number' ? r.round : 0;
    const re = typeof r.roundEpoch === 'number' ? r.roundEpoch : 0;
    return rr < round || (rr === round && re < epoch);
  });
  return run.readMetrics().reduce((m, r) => Math.max(m, typeof r.epoch === 'number' ? r.epoch : 0), 0);
}

function evalRow(r: EvaluationReport): MetricRow {
  return {
    successRate: r.successRate,
    successCi95Lo: r.successCi95[0],
    successCi95Hi: r.successCi95[1],
    meanReturn: r.meanReturn,
    meanLength: r.meanLength,
    evalEpisodes: r.episodes,
  };
}

/** The run directory a BC run of `scenarioName` uses unless told. */
export const defaultBcRunDir = (scenarioName: string): string => join('runs', `bc-${scenarioName}`);

interface SavedBcRun {
  algo?: string;
  bc?: BcRunConfig;
}

/**
 * The run directory, checked: a new run needs an empty one, a resumed run one holding an unfinished
 * BC run. Returns the settings a resumed run keeps (null for a new run or one that saved none).
 */
export function openBcRun(
  out: string,
  resume: boolean,
): { run: RunDir; saved: SavedBcRun | null; resumedSettings: BcRunConfig | null } {
  const run = new RunDir(out);
  const saved = run.readJson<SavedBcRun>('config.json');
  if (saved && !resume)
    throw new InputError(
      `${run.path}: expected a new run directory, got one with a run in it (use --resume to continue it, or another --out)`,
    );
  if (resume && saved && saved.algo !== 'bc')
    throw new InputError(`${run.path}: --resume --algo bc: the run there was trained with --algo ${saved.algo}`);
  if (resume && existsSync(join(run.policyDir, 'policy.json')))
    throw new InputError(`${run.path}: --resume: this run has already finished (its policy is in ${run.policyDir})`);
  return { run, saved, resumedSettings: resume ? (saved?.bc ?? null) : null };
}

export async function trainBc(config: TrainBcConfig, opts: TrainBcOptions = {}): Promise<TrainBcReport> {
  const hooks = withDefaults(opts.hooks);
  const sc = loadScenario(config.scenario);
  const { run, saved, resumedSettings } = openBcRun(config.out ?? defaultBcRunDir(sc.name), opts.resume === true);
  const cfg = resumedSettings ?? config.bc;
  if (!cfg)
    throw new InputError('--data: expected a directory of demonstration episodes (--algo bc needs one), got nothing');
  const data = await loadDataset(cfg.data, {
    valFraction: cfg.valFraction,
    seed: cfg.seed,
    contract: sc.contract,
    contractOf: `${config.scenario} (scenario ${sc.name})`,
    includeFlagged: cfg.includeFlagged === true,
  });
  const skipped = skippedFlaggedLine(cfg.data, data.flagged);
  if (skipped) hooks.warn(skipped);
  const backend = await initBackend(config.backend ? parseBackend(config.backend) : undefined);
  const training = {
    command: 'train',
    algo: 'bc',
    scenario: config.scenario,
    scenarioName: sc.name,
    bc: cfg,
    dataset: {
      source: cfg.data,
      trainEpisodes: data.trainEpisodes,
      valEpisodes: data.valEpisodes,
      trainSamples: data.train.n,
      valSamples: data.val.n,
      labels: data.labels,
      incompleteEpisodes: data.incompleteEpisodes,
      flaggedEpisodes: data.flagged,
    },
    backend: backend.name,
    codeVersion: codeVersion(),
  };
  if (!saved) run.writeConfig({ ...training, startedAt: new Date().toISOString() });
  if (data.labels.expert > 0 && data.labels.action > 0)
    hooks.note(
      `note: ${data.labels.expert} steps labelled with expertAction, ${data.labels.action} with the action as sent`,
    );

  const rounds = cfg.daggerRounds;
  const bar = hooks.progress(`bc ${sc.name}`, cfg.epochs * (rounds + 1), 'epoch');
  let shown = 0;
  let pruned = !opts.resume;
  let base = 0; // global epoch before the current round
  let round = -1;
  let lastGlobal = 0;
  const t0 = performance.now();
  const result = await trainBcDagger({
    scenario: sc,
    data,
    contract: sc.contract,
    hidden: cfg.hidden,
    activation: cfg.activation,
    epochs: cfg.epochs,
    batchSize: cfg.batchSize,
    lr: cfg.lr,
    patience: cfg.patience,
    seed: cfg.seed,
    policyId: `bc-${sc.name}-${new Date().toISOString().slice(0, 19)}Z`,
    rounds,
    episodesPerRound: cfg.daggerEpisodes,
    randomize: cfg.daggerRandomize === true,
    // Demonstrations recorded with `collect --compensate-delay`: the policy compensates their mean delay, its DAgger episodes observe like them.
    delayCompensation: data.delayCompensation.steps > 0 ? data.delayCompensation : undefined,
    compensateDelay: data.delayCompensation.steps > 0,
    dataDir: join(run.path, 'dagger'),
    checkpoint: { dir: run.checkpointsDir, resume: opts.resume === true, scenario: sc, training },
    onRound: (r) =>
      hooks.note(
        `dagger round ${r.round}: the policy drove ${r.episodes} episodes (success ${pct(r.successRate)}), ${r.rows} states relabelled by the expert`,
      ),
    onProgress: async (p) => {
      if (!pruned) {
        lastGlobal = pruneMetrics(run, p.round, p.epoch);
        base = lastGlobal - (p.epoch - 1);
        pruned = true;
      }
      if (p.round !== round) {
        if (round >= 0) base = lastGlobal;
        round = p.round;
      }
      const epoch = base + p.epoch;
      lastGlobal = epoch;
      const row: MetricRow = {
        epoch,
        round: p.round,
        roundEpoch: p.epoch,
        trainLoss: p.trainLoss,
        valLoss: Number.isFinite(p.valLoss) ? p.valLoss : null,
        bestValLoss: p.bestValLoss,
        seconds: p.seconds,
      };
      if (cfg.evalEvery > 0 && p.epoch % cfg.evalEvery === 0)
        Object.assign(row, evalRow(await evaluate(p.policy, sc, { episodes: cfg.evalEpisodes, workers: cfg.workers })));
      run.logMetrics(row);
      const target = p.round * cfg.epochs + p.epoch;
      bar.tick(
        target - shown,
        `loss ${p.trainLoss.toExponential(2)} val ${p.valLoss.toExponential(2)} best ${p.bestValLoss.toExponential(2)}@${p.bestEpoch}${rounds ? ` round ${p.round}/${rounds}` : ''}`,
      );
      shown = target;
    },
  });
  // Resumed after its last epoch (killed during the final evaluation): nothing was trained again.
  if (!pruned) lastGlobal = pruneMetrics(run, Infinity, Infinity);
  bar.tick(cfg.epochs * (rounds + 1) - shown, 'done');
  bar.stop();
  const trainSeconds = (performance.now() - t0) / 1000;
  const { policy, metrics } = result;

  let evaluation: EvaluationReport | null = null;
  if (cfg.evalEpisodes > 0) {
    evaluation = await evaluateWithProgress(policy, sc, { episodes: cfg.evalEpisodes, workers: cfg.workers }, hooks);
    run.logMetrics({
      epoch: lastGlobal,
      round: rounds,
      roundEpoch: metrics.epochs,
      final: true,
      ...evalRow(evaluation),
    });
    run.writeJson('eval.json', evaluation);
  }
  await run.plot(
    'loss',
    `behaviour cloning ${sc.name}: MSE of tanh(mean) vs expert action`,
    'epoch',
    ['trainLoss', 'valLoss'],
    { yTitle: 'loss' },
  );
  if (evaluation)
    await run.plot('success', `${sc.name}: success rate (nominal sim, deterministic)`, 'epoch', ['successRate'], {
      yTitle: 'success rate',
    });

  const daggerRounds = result.rounds
    .filter((r) => r.round > 0)
    .map((r) => ({
      round: r.round,
      rolloutSuccessRate: r.rolloutSuccessRate,
      rows: r.rows,
      epochs: r.metrics.epochs,
      bestValLoss: r.metrics.bestValLoss,
    }));
  const summary = {
    epochs: lastGlobal,
    bestEpoch: metrics.bestEpoch,
    bestValLoss: metrics.bestValLoss,
    stoppedEarly: metrics.stoppedEarly,
    trainSamples: metrics.trainSamples,
    valSamples: metrics.valSamples,
    logStd: metrics.logStd,
    daggerRounds,
    trainSeconds,
    evaluation: evaluation
      ? {
          episodes: evaluation.episodes,
          successRate: evaluation.successRate,
          successCi95: evaluation.successCi95,
          meanReturn: evaluation.meanReturn,
          meanLength: evaluation.meanLength,
          seed: evaluation.seed,
        }
      : null,
  };
  await saveCheckpoint(run.policyDir, policy, { scenario: sc, training, metrics: summary });
  policy.dispose();
  return {
    run: run.path,
    policy: run.policyDir,
    policyId: policy.id,
    scenario: sc.name,
    algo: 'bc',
    backend: backend.name,
    trainEpisodes: data.trainEpisodes,
    valEpisodes: data.valEpisodes,
    trainSamples: data.train.n,
    valSamples: data.val.n,
    labels: data.labels,
    epochs: lastGlobal,
    bestEpoch: metrics.bestEpoch,
    bestValLoss: metrics.bestValLoss,
    stoppedEarly: metrics.stoppedEarly,
    daggerRounds,
    trainSeconds,
    evaluation,
    ...successFields(evaluation),
  };
}
