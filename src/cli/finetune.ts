/**
 * `sim2real finetune --policy RUN --data DIR --out RUN2`: adapt a trained policy to target episodes
 * (src/policy/finetune.ts) and record before/after figures: RUN2/config.json, metrics.jsonl (a
 * `before` row, one row per epoch or PPO update, an `after` row), loss.svg, policy/ (whose
 * policy.json carries the before/after metrics) and finetune.json (the report).
 */
import type { Command } from 'commander';
import type { Json } from '../sim/env.js';
import { contractMismatch } from '../sim/contract.js';
import { loadScenario } from '../sim/scenario-file.js';
import { checkRealityFor, loadReality } from '../sim/reality.js';
import { ScenarioSchema, type Scenario } from '../sim/scenario-schema.js';
import { InputError } from '../errors.js';
import { initBackend, parseBackend } from '../policy/models/backend.js';
import { loadDataset, skippedFlaggedLine, type Dataset } from '../policy/data/dataset.js';
import { robotCompensation } from '../policy/finetune/robot-delay.js';
import { saveCheckpoint } from '../policy/checkpoints/checkpoint.js';
import { loadPolicyDir, resolvePolicyDir } from '../policy/checkpoints/policy-dir.js';
import { finetune, FINETUNE_DEFAULTS, type FinetuneMode, type Measurement } from '../policy/finetune/finetune.js';
import { checkFreeze } from '../policy/bc/bc.js';
import { codeVersion } from '../policy/checkpoints/version.js';
import { RunDir, type MetricRow } from '../runs/run-dir.js';
import { startProgress } from '../ui/progress.js';
import { nonNegativeInt, positiveInt, positiveNumber } from '../ui/number-options.js';

interface FinetuneFlags {
  loopDelay?: number;
  policy: string;
  data?: string;
  out: string;
  mode: string;
  freeze: number;
  lr?: number;
  simData?: string;
  simFraction?: number;
  normalizerOnly?: boolean;
  refitNormalizer?: boolean;
  epochs?: number;
  patience?: number;
  batchSize?: number;
  valFraction: number;
  seed: number;
  evalScenario?: string;
  evalEpisodes: number;
  evalRandomize?: boolean;
  evalReality?: string;
  evalSeed?: number;
  scenario?: string;
  envSteps?: number;
  randomize?: boolean;
  workers: number;
  backend?: string;
  includeFlagged?: boolean;
  json?: boolean;
}

function row(phase: string, m: Measurement): MetricRow {
  const e = m.evaluation;
  return { phase, targetValLoss: m.targetValLoss, successRate: e?.successRate ?? null, successCi95Lo: e?.successCi95[0] ?? null, successCi95Hi: e?.successCi95[1] ?? null, meanReturn: e?.meanReturn ?? null, evalEpisodes: e?.episodes ?? null };
}

function brief(m: Measurement): Json {
  const e = m.evaluation;
  return { targetValLoss: m.targetValLoss, evaluation: e ? { episodes: e.episodes, successRate: e.successRate, successCi95: e.successCi95, meanReturn: e.meanReturn, meanLength: e.meanLength, seed: e.seed, randomized: e.randomized, reality: e.reality } : null };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const fmt = (m: Measurement) =>
  [m.targetValLoss === null ? null : `target val loss ${m.targetValLoss.toExponential(3)}`, m.evaluation ? `success ${pct(m.evaluation.successRate)} (95% CI ${pct(m.evaluation.successCi95[0])}–${pct(m.evaluation.successCi95[1])})` : null].filter(Boolean).join(', ');

export function registerFinetune(program: Command): void {
  program
    .command('finetune')
    .description('adapt a trained policy to target episodes (BC with frozen layers, lower LR, sim co-training, optionally a re-estimated normaliser) or with PPO; records before/after metrics')
    .requiredOption('--policy <dir>', 'run directory (uses RUN/policy) or policy checkpoint directory')
    .option('--data <dir>', 'target episodes (MCAP file or directory); labels needed for --mode bc')
    .requiredOption('--out <run>', 'new run directory')
    .option('--mode <mode>', 'bc | ppo', 'bc')
    .option('--freeze <k>', 'keep the first k actor layers fixed', nonNegativeInt, 0)
    .option('--lr <x>', 'learning rate (default: the pretraining rate / 10)', positiveNumber)
    .option('--sim-data <dir>', 'original sim demonstrations to co-train on')
    .option('--sim-fraction <f>', 'fraction of every minibatch from --sim-data (default 0.3)', Number)
    .option('--normalizer-only', 'only re-estimate the observation normaliser on the target observations (no labels needed)')
    .option('--refit-normalizer', '(bc, ppo) also re-estimate the normaliser on the target observations (default: keep it)')
    .option('--epochs <n>', 'maximum epochs (bc)', positiveInt)
    .option('--patience <p>', 'early stopping patience on the held-out target split (bc, default 10)', nonNegativeInt)
    .option('--batch-size <n>', 'rows per minibatch (bc)', positiveInt)
    .option('--val-fraction <f>', 'fraction of target episodes held out', Number, 0.2)
    .option('--seed <s>', 'split and data order', nonNegativeInt, 0)
    .option('--eval-scenario <file>', 'measure success before and after in this scenario')
    .option('--eval-episodes <n>', 'episodes for --eval-scenario', positiveInt, 50)
    .option('--eval-randomize', "evaluate with the scenario's domain randomization")
    .option('--eval-reality <file>', 'evaluate in this emulated reality profile')
    .option('--eval-seed <s>', 'first evaluation seed', nonNegativeInt)
    .option('--scenario <file>', '(ppo) scenario to train in (default: --eval-scenario, else the one stored in the policy)')
    .option('--env-steps <n>', '(ppo) environment steps', positiveInt)
    .option('--randomize', "(ppo) train with the scenario's domain randomization")
    .option('--workers <w>', 'worker threads (evaluation, ppo envs)', positiveInt, 2)
    .option('--backend <name>', 'tensorflow | wasm | cpu (default: the best available)')
    .option('--include-flagged', "also learn from flagged episodes (obs outside the contract's range, partial recordings); skipped by default")
    .option('--loop-delay <steps>', "(policies trained with delay compensation) the robot's control-loop delay to compensate, control steps (default: estimated from --data, as `episodes latency` does)", nonNegativeInt)
    .option('--json', 'print the report as JSON')
    .action(async (o: FinetuneFlags) => {
      if (o.mode !== 'bc' && o.mode !== 'ppo') throw new InputError(`--mode: expected bc | ppo, got "${o.mode}"`);
      if (o.normalizerOnly && o.mode === 'ppo') throw new InputError('--normalizer-only: works without --mode ppo (it trains nothing)');
      if (o.simFraction !== undefined && !(o.simFraction >= 0 && o.simFraction < 1)) throw new InputError(`--sim-fraction: expected a number in [0, 1), got "${o.simFraction}"`);
      const mode: FinetuneMode = o.normalizerOnly ? 'normalizer-only' : (o.mode as FinetuneMode);
      if (mode !== 'ppo' && !o.data) throw new InputError('--data: expected target episodes, got nothing');
      const run = new RunDir(o.out);
      if (run.readJson('config.json')) throw new InputError(`${run.path}: expected a new run directory, got one with a run in it`);
      await initBackend(o.backend ? parseBackend(o.backend) : undefined);
      const { policy, file } = await loadPolicyDir(o.policy);
      const stored = ScenarioSchema.safeParse(file.scenario);
      const evalScenario: Scenario | null = o.evalScenario ? loadScenario(o.evalScenario) : null;
      const ppoScenario: Scenario | null = o.scenario ? loadScenario(o.scenario) : (evalScenario ?? (stored.success ? stored.data : null));
      const contractOf = { contract: policy.contract, contractOf: `the policy ${resolvePolicyDir(o.policy)}` };
      for (const [flag, sc] of [['--eval-scenario', evalScenario], ['--scenario', o.scenario ? ppoScenario : null]] as const) {
        const m = sc ? contractMismatch(sc.contract, policy.contract) : null;
        if (m) throw new InputError(`${resolvePolicyDir(o.policy)}: the policy's contract does not match ${flag} (scenario ${sc!.name}): ${m}`);
      }
      // Every check that can fail before training runs comes before config.json: a refused run
      // leaves its directory free for the corrected command.
      checkFreeze(o.freeze, policy);
      if (mode === 'ppo' && !ppoScenario) throw new InputError('--mode ppo: expected --scenario FILE (the policy stores no usable scenario)');
      const compensate = robotCompensation(policy.delayCompensation, mode, o.loopDelay, (e) => o.json || process.stderr.write(`robot loop delay estimated from the target episodes: ${e.steps} control steps (${e.ms.toFixed(0)} ms); the policy compensates it (it was trained for ${policy.delayCompensation.steps})\n`));
      const includeFlagged = o.includeFlagged === true;
      const target = o.data ? await loadDataset(o.data, { valFraction: o.valFraction, seed: o.seed, compensate, includeFlagged, ...contractOf }) : undefined;
      const sim = o.simData ? await loadDataset(o.simData, { valFraction: 0, includeFlagged, ...contractOf }) : undefined;
      for (const [source, d] of [[o.data, target], [o.simData, sim]] as [string, Dataset | undefined][]) {
        const skipped = d && skippedFlaggedLine(source, d.flagged);
        if (skipped) process.stderr.write(`${skipped}\n`);
      }
      const training = file.training as { bc?: { lr?: number }; learningRate?: number } | null;
      const pretrainLr = training?.bc?.lr ?? training?.learningRate;
      const config = {
        command: 'finetune',
        mode,
        policy: resolvePolicyDir(o.policy),
        policyId: policy.id,
        data: o.data ?? null,
        freeze: o.freeze,
        lr: o.lr ?? null,
        pretrainLr: pretrainLr ?? null,
        simData: o.simData ?? null,
        simFraction: o.simData ? (o.simFraction ?? 0.3) : 0,
        refitNormalizer: mode === 'normalizer-only' || (o.refitNormalizer ?? FINETUNE_DEFAULTS.refitNormalizer),
        epochs: o.epochs ?? null,
        patience: o.patience ?? null,
        valFraction: o.valFraction,
        seed: o.seed,
        includeFlagged,
        loopDelay: target && target.delayCompensation.steps > 0 ? { steps: target.delayCompensation.steps, estimated: o.loopDelay === undefined && mode === 'bc' } : null,
        target: target ? { trainEpisodes: target.trainEpisodes, valEpisodes: target.valEpisodes, trainSamples: target.train.n, valSamples: target.val.n, labels: target.labels, flaggedEpisodes: target.flagged } : null,
        evaluation: evalScenario ? { scenario: o.evalScenario, episodes: o.evalEpisodes, randomize: o.evalRandomize === true, reality: o.evalReality ?? null } : null,
        codeVersion: codeVersion(),
        startedAt: new Date().toISOString(),
      };
      if (target && target.train.n === 0) throw new InputError(`${o.data}: expected target episodes with steps in the training split, got ${target.trainEpisodes} episode(s) with none`);
      if (o.evalReality) {
        if (!evalScenario) throw new InputError('--eval-reality: expected it with --eval-scenario');
        checkRealityFor(loadReality(o.evalReality), evalScenario, o.evalReality);
      }
      run.writeConfig(config);
      const quiet = o.json === true;
      const epochs = o.epochs ?? 200;
      const bar = mode === 'bc' ? startProgress(`finetune ${policy.id}`, epochs, { unit: 'epoch', quiet }) : null;
      let shown = 0;
      if (!quiet && evalScenario) process.stderr.write(`evaluating before and after (${o.evalEpisodes} episodes each)\n`);
      const res = await finetune({
        policy,
        mode,
        target,
        freeze: o.freeze,
        lr: o.lr,
        pretrainLr,
        simData: sim?.train,
        simFraction: o.simFraction,
        refitNormalizer: o.refitNormalizer ?? FINETUNE_DEFAULTS.refitNormalizer,
        epochs,
        patience: o.patience,
        batchSize: o.batchSize,
        seed: o.seed,
        evaluation: evalScenario
          ? { scenario: evalScenario, options: { episodes: o.evalEpisodes, randomize: o.evalRandomize === true, reality: o.evalReality, seed: o.evalSeed, workers: o.workers } }
          : undefined,
        ppo: mode === 'ppo' ? { scenario: ppoScenario!, envSteps: o.envSteps, randomize: o.randomize === true, workers: o.workers, run } : undefined,
        onMeasured: (phase, m) => run.logMetrics(row(phase, m)),
        onProgress: (p) => {
          run.logMetrics({ phase: 'train', epoch: p.epoch, trainLoss: p.trainLoss, valLoss: Number.isFinite(p.valLoss) ? p.valLoss : null, bestValLoss: p.bestValLoss });
          bar?.tick(p.epoch - shown, `loss ${p.trainLoss.toExponential(2)} val ${p.valLoss.toExponential(2)} best ${p.bestValLoss.toExponential(2)}@${p.bestEpoch}`);
          shown = p.epoch;
        },
      });
      bar?.tick(epochs - shown, 'done');
      bar?.stop();
      if (mode === 'bc') await run.plot('loss', `fine-tuning ${policy.id}: target loss`, 'epoch', ['trainLoss', 'valLoss'], { yTitle: 'loss' });
      const metrics = { mode, lr: res.lr, before: brief(res.before), after: brief(res.after), bc: res.bc ? { epochs: res.bc.epochs, bestEpoch: res.bc.bestEpoch, bestValLoss: res.bc.bestValLoss, stoppedEarly: res.bc.stoppedEarly, seconds: res.bc.seconds } : null };
      await saveCheckpoint(run.policyDir, res.policy, {
        scenario: (ppoScenario ?? file.scenario),
        training: { ...config, pretraining: file.training },
        metrics: metrics,
      });
      const report = { run: run.path, policy: run.policyDir, policyId: res.policy.id, from: policy.id, ...metrics };
      run.writeJson('finetune.json', report);
      res.policy.dispose();
      policy.dispose();
      if (quiet) {
        console.log(JSON.stringify(report, null, 2));
        return;
      }
      console.log(`fine-tuned ${policy.id} → ${res.policy.id} (${mode}${res.lr ? `, lr ${res.lr}` : ''}${o.freeze ? `, first ${o.freeze} layers frozen` : ''})`);
      console.log(`before: ${fmt(res.before) || '–'}`);
      console.log(`after:  ${fmt(res.after) || '–'}`);
      console.log(`policy saved to ${run.policyDir}`);
    });
}
