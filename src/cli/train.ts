/**
 * `sim2real train <scenario> --algo bc|ppo`: train a policy into a run directory.
 *
 * `--algo bc` (this file): behaviour cloning from demonstration episodes (`--data`), optionally
 * followed by DAgger relabelling rounds (`--dagger-rounds`). RUN/ gets config.json, metrics.jsonl
 * (round, epoch, trainLoss, valLoss; successRate on evaluated rows), loss.svg (+ success.svg),
 * checkpoints/ (latest + best, every epoch: `--resume` continues a killed run), dagger/ (relabelled
 * episodes) and policy/ (the final checkpoint), and the policy is evaluated in nominal sim at the end.
 * `--algo ppo`: train-ppo.ts.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadScenario } from '../sim/scenario-file.js';
import type { Scenario } from '../sim/scenario-schema.js';
import { InputError } from '../errors.js';
import { initBackend, parseBackend } from '../policy/models/backend.js';
import { loadDataset, skippedFlaggedLine } from '../policy/data/dataset.js';
import { BC_DEFAULTS, DEFAULT_BC_HIDDEN } from '../policy/bc/bc.js';
import { DAGGER_DEFAULTS, trainBcDagger } from '../policy/bc/dagger.js';
import { saveCheckpoint } from '../policy/checkpoints/checkpoint.js';
import { evaluate, successFields, type EvaluationReport, type SuccessFields } from '../policy/evaluate.js';
import type { GaussianMlpPolicy } from '../policy/models/gaussian-policy.js';
import { codeVersion } from '../policy/checkpoints/version.js';
import { RunDir, type MetricRow } from '../runs/run-dir.js';
import { startProgress, type Progress } from '../ui/progress.js';
import { nonNegativeInt, positiveInt, positiveNumber } from '../ui/number-options.js';
import { trainPpoCommand, type TrainPpoFlags } from './train-ppo.js';

interface TrainFlags extends TrainPpoFlags {
  algo: string;
  data?: string;
  hidden?: string;
  activation?: string;
  batchSize?: number;
  valFraction?: number;
  patience?: number;
  evalEvery?: number;
  daggerRounds?: number;
  daggerEpisodes?: number;
  includeFlagged?: boolean;
}

/** The settings of a BC run (config.json `bc`); a resumed run reuses them. */
export interface BcRunConfig {
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
  /** Flagged episodes in --data are used too (absent in runs from before the flag: false). */
  includeFlagged?: boolean;
}

export function parseHiddenList(raw: string): number[] {
  const parts = raw.split(',').map((s) => Number(s.trim()));
  if (raw.trim() === '' || parts.some((n) => !Number.isInteger(n) || n < 1)) throw new InputError(`--hidden: expected comma-separated positive integers like 256,256, got "${raw}"`);
  return parts;
}

const num = (raw: unknown, fallback: number): number => (raw === undefined ? fallback : Number(raw));

function bcConfig(o: TrainFlags): BcRunConfig {
  if (!o.data) throw new InputError('--data: expected a directory of demonstration episodes (--algo bc needs one), got nothing');
  const activation = o.activation ?? BC_DEFAULTS.activation;
  if (activation !== 'relu' && activation !== 'tanh') throw new InputError(`--activation: expected relu | tanh, got "${activation}"`);
  const valFraction = num(o.valFraction, 0.1);
  if (!(valFraction >= 0 && valFraction < 1)) throw new InputError(`--val-fraction: expected a number in [0, 1), got "${o.valFraction}"`);
  return {
    data: o.data,
    hidden: o.hidden ? parseHiddenList(o.hidden) : DEFAULT_BC_HIDDEN,
    activation,
    epochs: num(o.epochs, BC_DEFAULTS.epochs),
    batchSize: num(o.batchSize, BC_DEFAULTS.batchSize),
    lr: num(o.lr, BC_DEFAULTS.lr),
    valFraction,
    patience: num(o.patience, BC_DEFAULTS.patience),
    seed: num(o.seed, BC_DEFAULTS.seed),
    daggerRounds: num(o.daggerRounds, 0),
    daggerEpisodes: num(o.daggerEpisodes, DAGGER_DEFAULTS.episodesPerRound),
    daggerRandomize: o.randomize === true,
    evalEpisodes: num(o.evalEpisodes, 50),
    evalEvery: num(o.evalEvery, 0),
    workers: num(o.workers, 2),
    includeFlagged: o.includeFlagged === true,
  };
}

/** After a resume: forget rows the killed run logged past the point it resumes from. */
function pruneMetrics(run: RunDir, round: number, epoch: number): number {
  const keep = run.readMetrics().filter((r) => {
    if (r.final === true) return false; // written again after training
    const rr = typeof r.round === 'number' ? r.round : 0;
    const re = typeof r.roundEpoch === 'number' ? r.roundEpoch : 0;
    return rr < round || (rr === round && re < epoch);
  });
  writeFileSync(join(run.path, 'metrics.jsonl'), keep.map((r) => JSON.stringify(r) + '\n').join(''));
  return keep.reduce((m, r) => Math.max(m, typeof r.epoch === 'number' ? r.epoch : 0), 0);
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function evalRow(r: EvaluationReport): MetricRow {
  return { successRate: r.successRate, successCi95Lo: r.successCi95[0], successCi95Hi: r.successCi95[1], meanReturn: r.meanReturn, meanLength: r.meanLength, evalEpisodes: r.episodes };
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
  daggerRounds: { round: number; rolloutSuccessRate: number | null; rows: number; epochs: number; bestValLoss: number }[];
  trainSeconds: number;
  evaluation: EvaluationReport | null;
}

/** evaluate() with a progress bar (live success rate), in nominal or randomized sim. */
export async function evaluateWithBar(policy: GaussianMlpPolicy, sc: Scenario, episodes: number, workers: number, quiet: boolean, opts: { randomize?: boolean } = {}): Promise<EvaluationReport> {
  const bar = startProgress(`eval ${sc.name}${opts.randomize ? ' (randomized)' : ''}`, episodes, { unit: 'ep', quiet });
  let ok = 0;
  let n = 0;
  try {
    return await evaluate(policy, sc, {
      episodes,
      workers,
      randomize: opts.randomize,
      onEpisode: (e) => {
        n++;
        ok += e.success ? 1 : 0;
        bar.tick(1, `success ${pct(ok / n)}`);
      },
    });
  } finally {
    bar.stop();
  }
}

export async function trainBcCommand(scenarioFile: string, o: TrainFlags): Promise<TrainBcReport> {
  const sc = loadScenario(scenarioFile);
  const run = new RunDir(o.out ?? join('runs', `bc-${sc.name}`));
  const saved = run.readJson<{ algo?: string; bc?: BcRunConfig }>('config.json');
  if (saved && !o.resume) throw new InputError(`${run.path}: expected a new run directory, got one with a run in it (use --resume to continue it, or another --out)`);
  if (o.resume && saved && saved.algo !== 'bc') throw new InputError(`${run.path}: --resume --algo bc: the run there was trained with --algo ${saved.algo}`);
  if (o.resume && existsSync(join(run.policyDir, 'policy.json'))) throw new InputError(`${run.path}: --resume: this run has already finished (its policy is in ${run.policyDir})`);
  // A resumed run keeps its settings (the flags given now are ignored, --data may be left out).
  const cfg: BcRunConfig = o.resume && saved?.bc ? saved.bc : bcConfig(o);
  const quiet = o.json === true;
  const data = await loadDataset(cfg.data, { valFraction: cfg.valFraction, seed: cfg.seed, contract: sc.contract, contractOf: `${scenarioFile} (scenario ${sc.name})`, includeFlagged: cfg.includeFlagged === true });
  const skipped = skippedFlaggedLine(cfg.data, data.flagged);
  if (skipped) process.stderr.write(`${skipped}\n`);
  const backend = await initBackend(o.backend ? parseBackend(o.backend) : undefined);
  const training = {
    command: 'train',
    algo: 'bc',
    scenario: scenarioFile,
    scenarioName: sc.name,
    bc: cfg,
    dataset: { source: cfg.data, trainEpisodes: data.trainEpisodes, valEpisodes: data.valEpisodes, trainSamples: data.train.n, valSamples: data.val.n, labels: data.labels, incompleteEpisodes: data.incompleteEpisodes, flaggedEpisodes: data.flagged },
    backend: backend.name,
    codeVersion: codeVersion(),
  };
  if (!saved) run.writeConfig({ ...training, startedAt: new Date().toISOString() });
  if (!quiet && data.labels.expert > 0 && data.labels.action > 0) process.stderr.write(`note: ${data.labels.expert} steps labelled with expertAction, ${data.labels.action} with the action as sent\n`);

  const rounds = cfg.daggerRounds;
  const bar: Progress = startProgress(`bc ${sc.name}`, cfg.epochs * (rounds + 1), { unit: 'epoch', quiet });
  let shown = 0;
  let pruned = !o.resume;
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
    checkpoint: { dir: run.checkpointsDir, resume: o.resume === true, scenario: sc, training: training },
    onRound: (r) => {
      if (!quiet) process.stderr.write(`dagger round ${r.round}: the policy drove ${r.episodes} episodes (success ${pct(r.successRate)}), ${r.rows} states relabelled by the expert\n`);
    },
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
      const row: MetricRow = { epoch, round: p.round, roundEpoch: p.epoch, trainLoss: p.trainLoss, valLoss: Number.isFinite(p.valLoss) ? p.valLoss : null, bestValLoss: p.bestValLoss, seconds: p.seconds };
      if (cfg.evalEvery > 0 && p.epoch % cfg.evalEvery === 0) Object.assign(row, evalRow(await evaluate(p.policy, sc, { episodes: cfg.evalEpisodes, workers: cfg.workers })));
      run.logMetrics(row);
      const target = p.round * cfg.epochs + p.epoch;
      bar.tick(target - shown, `loss ${p.trainLoss.toExponential(2)} val ${p.valLoss.toExponential(2)} best ${p.bestValLoss.toExponential(2)}@${p.bestEpoch}${rounds ? ` round ${p.round}/${rounds}` : ''}`);
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
    evaluation = await evaluateWithBar(policy, sc, cfg.evalEpisodes, cfg.workers, quiet);
    run.logMetrics({ epoch: lastGlobal, round: rounds, roundEpoch: metrics.epochs, final: true, ...evalRow(evaluation) });
    run.writeJson('eval.json', evaluation);
  }
  await run.plot('loss', `behaviour cloning ${sc.name}: MSE of tanh(mean) vs expert action`, 'epoch', ['trainLoss', 'valLoss'], { yTitle: 'loss' });
  if (evaluation) await run.plot('success', `${sc.name}: success rate (nominal sim, deterministic)`, 'epoch', ['successRate'], { yTitle: 'success rate' });

  const daggerRounds = result.rounds.filter((r) => r.round > 0).map((r) => ({ round: r.round, rolloutSuccessRate: r.rolloutSuccessRate, rows: r.rows, epochs: r.metrics.epochs, bestValLoss: r.metrics.bestValLoss }));
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
    evaluation: evaluation ? { episodes: evaluation.episodes, successRate: evaluation.successRate, successCi95: evaluation.successCi95, meanReturn: evaluation.meanReturn, meanLength: evaluation.meanLength, seed: evaluation.seed } : null,
  };
  await saveCheckpoint(run.policyDir, policy, { scenario: sc, training: training, metrics: summary });
  const report: TrainBcReport = {
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
  policy.dispose();
  if (quiet) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    console.log(`behaviour cloning on ${sc.name}: ${data.trainEpisodes} training / ${data.valEpisodes} validation episodes (${data.train.n} / ${data.val.n} steps), ${report.epochs} epochs in ${trainSeconds.toFixed(1)} s; best validation loss ${metrics.bestValLoss.toExponential(3)}${metrics.stoppedEarly ? ' (stopped early)' : ''}`);
    for (const r of daggerRounds) console.log(`  dagger round ${r.round}: policy success while relabelling ${r.rolloutSuccessRate === null ? '–' : pct(r.rolloutSuccessRate)}, ${r.rows} training rows, best validation loss ${r.bestValLoss.toExponential(3)}`);
    if (evaluation) {
      const [lo, hi] = evaluation.successCi95;
      console.log(`evaluation (deterministic, nominal sim, ${evaluation.episodes} episodes): success ${pct(evaluation.successRate)} (95% CI ${pct(lo)}–${pct(hi)}), mean return ${evaluation.meanReturn.toFixed(2)}, mean length ${evaluation.meanLength.toFixed(1)}`);
    }
    console.log(`policy saved to ${run.policyDir}; metrics and plots in ${run.path}`);
  }
  return report;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a policy: behaviour cloning from demonstrations (--algo bc) or PPO (--algo ppo)')
    .argument('<scenario>', 'scenario file (YAML)')
    .option('--algo <name>', 'bc | ppo', 'bc')
    .option('--data <dir>', '(bc) demonstration episodes (MCAP file or directory)')
    .option('--out <run>', 'run directory (default runs/<algo>-<scenario>)')
    .option('--epochs <n>', `(bc) maximum epochs (default ${BC_DEFAULTS.epochs}); (ppo) epochs per update`, positiveInt)
    .option('--hidden <sizes>', `hidden layer sizes (bc default ${DEFAULT_BC_HIDDEN.join(',')}, ppo 64,64)`)
    .option('--activation <name>', `(bc) relu | tanh (default ${BC_DEFAULTS.activation})`)
    .option('--lr <x>', `learning rate (bc default ${BC_DEFAULTS.lr})`, positiveNumber)
    .option('--batch-size <n>', `(bc) rows per minibatch (default ${BC_DEFAULTS.batchSize})`, positiveInt)
    .option('--val-fraction <f>', '(bc) fraction of episodes held out for validation (default 0.1)', Number)
    .option('--patience <p>', `(bc) stop after p epochs without a better validation loss (default ${BC_DEFAULTS.patience}; 0 never)`, nonNegativeInt)
    .option('--dagger-rounds <r>', '(bc) DAgger rounds after cloning: the policy drives, the expert relabels (default 0)', nonNegativeInt)
    .option('--dagger-episodes <n>', `(bc) policy-driven episodes per DAgger round (default ${DAGGER_DEFAULTS.episodesPerRound})`, positiveInt)
    .option('--include-flagged', "(bc) also learn from flagged episodes in --data (obs outside the contract's range, partial recordings); skipped by default")
    .option('--seed <s>', 'seed (bc: data split and order)', nonNegativeInt)
    .option('--backend <name>', 'tensorflow | wasm | cpu (default: the best available)')
    .option('--resume', 'continue the run in --out from its last checkpoint')
    .option('--eval-episodes <n>', 'evaluation episodes at the end, nominal sim (default 50; 0 skips)', nonNegativeInt)
    .option('--eval-every <k>', 'also evaluate every k epochs (bc) or updates (ppo) (default 0: only at the end)', nonNegativeInt)
    .option('--workers <w>', 'worker threads (evaluation; ppo: env workers)', positiveInt)
    .option('--init <run>', '(ppo) start from this policy (run or checkpoint directory)')
    .option('--env-steps <n>', '(ppo) environment steps', positiveInt)
    .option('--num-envs <n>', '(ppo) parallel envs', positiveInt)
    .option('--rollout-steps <n>', '(ppo) steps per env per update', positiveInt)
    .option('--minibatches <n>', '(ppo) minibatches per epoch', positiveInt)
    .option('--ent-coef <x>', '(ppo) entropy bonus', Number)
    .option('--frozen-layers <k>', '(ppo) keep the first k actor layers fixed', nonNegativeInt)
    .option('--checkpoint-every <n>', '(ppo) updates between checkpoints', positiveInt)
    .option('--target-kl <x>', '(ppo) stop the epochs of an update early past this approximate KL', positiveNumber)
    .option('--critic-warmup <n>', '(ppo) critic-only updates before the actor moves (default 30 with --init and no critic)', nonNegativeInt)
    .option('--randomize', "with the scenario's domain randomization: (ppo) the training envs, (bc) the DAgger rounds' rollouts")
    .option('--json', 'print the report as JSON')
    .action(async (file: string, o: TrainFlags) => {
      if (o.algo === 'ppo') {
        await trainPpoCommand(file, o);
        return;
      }
      if (o.algo !== 'bc') throw new InputError(`--algo: expected bc | ppo, got "${o.algo}"`);
      await trainBcCommand(file, o);
    });
}

