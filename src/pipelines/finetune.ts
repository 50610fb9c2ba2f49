/**
 * A fine-tuning run (`sim2real finetune`): adapt a trained policy to target episodes
 * (src/policy/finetune/finetune.ts) in a run directory and record before/after figures:
 * config.json, metrics.jsonl (finetune-report.ts), loss.svg, checkpoints/ (what `resume` continues
 * from), policy/ (whose policy.json carries the before/after metrics) and finetune.json (the report).
 */
import { loadRapier } from '../sim/rapier.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { contractMismatch } from '../sim/contract.js';
import { loadScenario } from '../sim/scenario-file.js';
import { loadReality, probeReality } from '../sim/reality.js';
import { ScenarioSchema, type Scenario } from '../sim/scenario-schema.js';
import { InputError } from '../errors.js';
import { initBackend, parseBackend, type BackendName } from '../policy/models/backend.js';
import { loadDataset, skippedFlaggedLine, type Dataset } from '../policy/data/dataset.js';
import { robotCompensation } from '../policy/finetune/robot-delay.js';
import { saveCheckpoint, type LoadedCheckpoint } from '../policy/checkpoints/checkpoint.js';
import { loadPolicyDir, resolvePolicyDir } from '../policy/checkpoints/policy-dir.js';
import { finetune, FINETUNE_DEFAULTS, type FinetuneMode } from '../policy/finetune/finetune.js';
import { checkFreeze, type BcProgress } from '../policy/bc/bc.js';
import { codeVersion } from '../policy/checkpoints/version.js';
import { RunDir } from '../runs/run-dir.js';
import { withDefaults, type RunHooks } from '../ui/run-hooks.js';
import { finetuneMetrics, summarise, type FinetuneReport } from './finetune-report.js';

export type { FinetuneReport, MeasurementSummary } from './finetune-report.js';

/** The settings of a fine-tuning run: plain data, saved in its config.json (`settings`) for a resume. */
export interface FinetuneRunConfig {
  /** Run directory (uses RUN/policy) or policy checkpoint directory. */
  policy: string;
  /** Target episodes (MCAP file or directory); labels needed for `bc`, optional for `ppo`. */
  data?: string;
  /** The new run directory. */
  out: string;
  /** Default 'bc'. */
  mode?: FinetuneMode;
  /** Keep the first k actor layers fixed (default 0). */
  freeze?: number;
  /** Default: the pretraining rate / 10. */
  lr?: number;
  /** Original sim demonstrations to co-train on (`bc`). */
  simData?: string;
  /** Fraction of every minibatch from `simData` (default 0.3). */
  simFraction?: number;
  /** Also re-estimate the normaliser on the target observations (`bc`, `ppo`; default false). */
  refitNormalizer?: boolean;
  /** Maximum epochs (`bc`, default 200). */
  epochs?: number;
  /** Early stopping patience on the held-out target split (`bc`, default 10). */
  patience?: number;
  batchSize?: number;
  /** Fraction of target episodes held out (default 0.2). */
  valFraction?: number;
  /** Split and data order (default 0). */
  seed?: number;
  /** Success before and after, measured when `scenario` (a file or a built-in scenario's name) is given. */
  evaluation?: { scenario?: string; episodes?: number; randomize?: boolean; reality?: string; seed?: number };
  /** `ppo`: the scenario to train in (default: the evaluation's, else the one stored in the policy). */
  ppo?: { scenario?: string; envSteps?: number; randomize?: boolean };
  /** Worker threads for evaluation and PPO envs (default 2). */
  workers?: number;
  /** Default: the best available. */
  backend?: BackendName;
  /** Also learn from flagged episodes (skipped by default). */
  includeFlagged?: boolean;
  /** Policies trained with delay compensation: the robot's loop delay in control steps (default: estimated from `data`). */
  loopDelay?: number;
}

export const FINETUNE_RUN_DEFAULTS = { freeze: 0, valFraction: 0.2, seed: 0, evalEpisodes: 50, workers: 2 };

interface SavedRun {
  command?: string;
  settings?: FinetuneRunConfig;
}

/** The settings a run uses: the given ones or, when resuming a started run, those in its config.json. */
export function finetuneSettings(config: FinetuneRunConfig, resume = false): FinetuneRunConfig {
  const file = join(config.out, 'config.json');
  if (!resume || !existsSync(file)) return config;
  const saved = JSON.parse(readFileSync(file, 'utf8')) as SavedRun;
  const where = `${config.out}: --resume`;
  if (saved.command !== 'finetune')
    throw new InputError(`${where}: expected a finetune run, got a ${saved.command ?? 'different'} run`);
  if (!saved.settings)
    throw new InputError(
      `${where}: expected the run's settings in config.json, got a run started before --resume existed`,
    );
  return { ...saved.settings, out: config.out };
}

/** The run directory, refused when it holds a run (unless resuming one that has not finished); its saved config.json. */
function openRun(out: string, resume: boolean): { run: RunDir; saved: SavedRun | null } {
  const run = new RunDir(out);
  const saved = run.readJson<SavedRun>('config.json');
  if (saved && !resume) throw new InputError(`${run.path}: expected a new run directory, got one with a run in it`);
  const finished = existsSync(join(run.path, 'finetune.json'));
  if (resume && finished)
    throw new InputError(`${run.path}: --resume: this run has already finished (its policy is in ${run.policyDir})`);
  return { run, saved };
}

/** The settings with their defaults filled in. */
function withRunDefaults(cfg: FinetuneRunConfig) {
  const d = FINETUNE_RUN_DEFAULTS;
  const ev = cfg.evaluation ?? {};
  return {
    mode: cfg.mode ?? 'bc',
    freeze: cfg.freeze ?? d.freeze,
    valFraction: cfg.valFraction ?? d.valFraction,
    seed: cfg.seed ?? d.seed,
    workers: cfg.workers ?? d.workers,
    epochs: cfg.epochs ?? FINETUNE_DEFAULTS.epochs,
    refitNormalizer: cfg.refitNormalizer ?? FINETUNE_DEFAULTS.refitNormalizer,
    includeFlagged: cfg.includeFlagged === true,
    evaluation: { ...ev, episodes: ev.episodes ?? d.evalEpisodes, randomize: ev.randomize === true },
  };
}

type Settings = ReturnType<typeof withRunDefaults>;

/** What the run trains and evaluates with, every input checked (nothing is written before). */
async function prepare(cfg: FinetuneRunConfig, s: Settings, loaded: LoadedCheckpoint, hooks: Required<RunHooks>) {
  const { policy, file } = loaded;
  const policyDir = resolvePolicyDir(cfg.policy);
  const stored = ScenarioSchema.safeParse(file.scenario);
  const evalScenario: Scenario | null = s.evaluation.scenario ? loadScenario(s.evaluation.scenario) : null;
  const givenScenario = cfg.ppo?.scenario ? loadScenario(cfg.ppo.scenario) : null;
  const ppoScenario: Scenario | null = givenScenario ?? evalScenario ?? (stored.success ? stored.data : null);
  for (const [flag, sc] of [
    ['--eval-scenario', evalScenario],
    ['--scenario', givenScenario],
  ] as const) {
    const m = sc ? contractMismatch(sc.contract, policy.contract) : null;
    if (m)
      throw new InputError(`${policyDir}: the policy's contract does not match ${flag} (scenario ${sc!.name}): ${m}`);
  }
  checkFreeze(s.freeze, policy);
  if (s.mode === 'ppo' && !ppoScenario)
    throw new InputError('--mode ppo: expected --scenario FILE (the policy stores no usable scenario)');
  const compensate = robotCompensation(policy.delayCompensation, s.mode, cfg.loopDelay, (e) =>
    hooks.note(
      `robot loop delay estimated from the target episodes: ${e.steps} control steps (${e.ms.toFixed(0)} ms); ` +
        `the policy compensates it (it was trained for ${policy.delayCompensation.steps})`,
    ),
  );
  const contractOf = {
    contract: policy.contract,
    contractOf: `the policy ${policyDir}`,
    includeFlagged: s.includeFlagged,
  };
  const target = cfg.data
    ? await loadDataset(cfg.data, { valFraction: s.valFraction, seed: s.seed, compensate, ...contractOf })
    : undefined;
  const sim = cfg.simData ? await loadDataset(cfg.simData, { valFraction: 0, ...contractOf }) : undefined;
  for (const [source, d] of [
    [cfg.data, target],
    [cfg.simData, sim],
  ] as [string, Dataset | undefined][]) {
    const skipped = d && skippedFlaggedLine(source, d.flagged);
    if (skipped) hooks.warn(skipped);
  }
  const training = file.training as { bc?: { lr?: number }; learningRate?: number } | null;
  const pretrainLr = training?.bc?.lr ?? training?.learningRate;
  return { policyDir, evalScenario, ppoScenario, target, sim, pretrainLr };
}

type Prepared = Awaited<ReturnType<typeof prepare>>;

/** config.json: the settings as used, what the target data held, and `settings` for a resume. */
function configRecord(cfg: FinetuneRunConfig, s: Settings, p: Prepared, policyId: string) {
  const t = p.target;
  const delay = t?.delayCompensation.steps ?? 0;
  const ev = s.evaluation;
  return {
    command: 'finetune',
    mode: s.mode,
    policy: p.policyDir,
    policyId,
    data: cfg.data ?? null,
    freeze: s.freeze,
    lr: cfg.lr ?? null,
    pretrainLr: p.pretrainLr ?? null,
    simData: cfg.simData ?? null,
    simFraction: cfg.simData ? (cfg.simFraction ?? FINETUNE_DEFAULTS.simFraction) : 0,
    refitNormalizer: s.mode === 'normalizer-only' || s.refitNormalizer,
    epochs: cfg.epochs ?? null,
    patience: cfg.patience ?? null,
    valFraction: s.valFraction,
    seed: s.seed,
    includeFlagged: s.includeFlagged,
    loopDelay: t && delay > 0 ? { steps: delay, estimated: cfg.loopDelay === undefined && s.mode === 'bc' } : null,
    target: t
      ? {
          trainEpisodes: t.trainEpisodes,
          valEpisodes: t.valEpisodes,
          trainSamples: t.train.n,
          valSamples: t.val.n,
          labels: t.labels,
          flaggedEpisodes: t.flagged,
        }
      : null,
    evaluation: p.evalScenario
      ? { scenario: ev.scenario, episodes: ev.episodes, randomize: ev.randomize, reality: ev.reality ?? null }
      : null,
    codeVersion: codeVersion(),
    startedAt: new Date().toISOString(),
    settings: cfg,
  };
}

const lossStatus = (p: BcProgress) =>
  `loss ${p.trainLoss.toExponential(2)} val ${p.valLoss.toExponential(2)} best ${p.bestValLoss.toExponential(2)}@${p.bestEpoch}`;

/**
 * Fine-tune into `config.out`, a new run directory. With `resume`, continue the interrupted run
 * there from its last checkpoint (BC epoch or PPO update), with the settings it was started with
 * (the config given only names the directory); a directory with no run yet starts one.
 */
export async function finetuneRun(
  config: FinetuneRunConfig,
  opts: { hooks?: RunHooks; resume?: boolean } = {},
): Promise<FinetuneReport> {
  const hooks = withDefaults(opts.hooks);
  const resume = opts.resume === true;
  const cfg = finetuneSettings(config, resume);
  const s = withRunDefaults(cfg);
  const { mode, evaluation: ev } = s;
  if (cfg.simFraction !== undefined && !(cfg.simFraction >= 0 && cfg.simFraction < 1)) {
    throw new InputError(`--sim-fraction: expected a number in [0, 1), got "${cfg.simFraction}"`);
  }
  if (mode !== 'ppo' && !cfg.data) throw new InputError('--data: expected target episodes, got nothing');
  const { run, saved } = openRun(cfg.out, resume);
  await initBackend(cfg.backend ? parseBackend(cfg.backend) : undefined);
  const loaded = await loadPolicyDir(cfg.policy);
  const { policy, file } = loaded;
  try {
    // Every check that can fail before training runs comes before config.json: a refused run
    // leaves its directory free for the corrected command.
    const p = await prepare(cfg, s, loaded, hooks);
    const { target, evalScenario, ppoScenario } = p;
    const record = configRecord(cfg, s, p, policy.id);
    if (target && target.train.n === 0) {
      const got = `${target.trainEpisodes} episode(s) with none`;
      throw new InputError(`${cfg.data}: expected target episodes with steps in the training split, got ${got}`);
    }
    if (ev.reality) {
      if (!evalScenario) throw new InputError('--eval-reality: expected it with --eval-scenario');
      await probeReality(await loadRapier(), evalScenario, loadReality(ev.reality), ev.reality);
    }
    if (!saved) run.writeConfig(record);
    // A resumed run's checkpoints carry the settings it was started with, as a run never killed would.
    const training = { ...(saved ?? record), pretraining: file.training };
    const scenario = ppoScenario ?? file.scenario;
    const bar = mode === 'bc' ? hooks.progress(`finetune ${policy.id}`, s.epochs, 'epoch') : null;
    let shown = 0;
    if (evalScenario) hooks.note(`evaluating before and after (${ev.episodes} episodes each)`);
    const metricsLog = finetuneMetrics(run, resume);
    const { workers } = s;
    const evalOptions = { episodes: ev.episodes, randomize: ev.randomize, reality: ev.reality, seed: ev.seed, workers };
    const ppo = { envSteps: cfg.ppo?.envSteps, randomize: cfg.ppo?.randomize };
    const res = await finetune({
      policy,
      mode,
      target,
      freeze: s.freeze,
      lr: cfg.lr,
      pretrainLr: p.pretrainLr,
      simData: p.sim?.train,
      simFraction: cfg.simFraction,
      refitNormalizer: s.refitNormalizer,
      epochs: s.epochs,
      patience: cfg.patience,
      batchSize: cfg.batchSize,
      seed: s.seed,
      evaluation: evalScenario ? { scenario: evalScenario, options: evalOptions } : undefined,
      ppo:
        mode === 'ppo' && ppoScenario
          ? { ...ppo, scenario: ppoScenario, randomize: ppo.randomize === true, workers, run, resume }
          : undefined,
      checkpoint: mode === 'bc' ? { dir: run.checkpointsDir, resume, scenario, training } : undefined,
      onMeasured: (phase, m) => metricsLog.measured(phase, m),
      onProgress: (pr) => {
        metricsLog.epoch(pr);
        bar?.tick(pr.epoch - shown, lossStatus(pr));
        shown = pr.epoch;
      },
    });
    bar?.tick(s.epochs - shown, 'done');
    bar?.stop();
    if (mode === 'bc')
      await run.plot('loss', `fine-tuning ${policy.id}: target loss`, 'epoch', ['trainLoss', 'valLoss'], {
        yTitle: 'loss',
      });
    const b = res.bc;
    const bc = b && {
      epochs: b.epochs,
      bestEpoch: b.bestEpoch,
      bestValLoss: b.bestValLoss,
      stoppedEarly: b.stoppedEarly,
      seconds: b.seconds,
    };
    const metrics = { mode, lr: res.lr, before: summarise(res.before), after: summarise(res.after), bc };
    await saveCheckpoint(run.policyDir, res.policy, { scenario, training, metrics });
    const report: FinetuneReport = {
      run: run.path,
      policy: run.policyDir,
      policyId: res.policy.id,
      from: policy.id,
      ...metrics,
    };
    run.writeJson('finetune.json', report);
    res.policy.dispose();
    return report;
  } finally {
    policy.dispose();
  }
}
