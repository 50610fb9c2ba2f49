/**
 * `sim2real finetune --policy RUN --data DIR --out RUN2`: flags → FinetuneRunConfig, the run
 * itself (src/pipelines/finetune.ts), and the report printed as lines or JSON.
 */
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { parseBackend } from '../policy/models/backend.js';
import type { FinetuneMode } from '../policy/finetune/finetune.js';
import {
  finetuneRun,
  finetuneSettings,
  FINETUNE_RUN_DEFAULTS,
  type FinetuneRunConfig,
  type MeasurementSummary,
} from '../pipelines/finetune.js';
import { terminalHooks } from '../ui/run-hooks.js';
import { nonNegativeInt, positiveInt, positiveNumber } from '../ui/number-options.js';
import { formatPercent as pct } from '../ui/percent.js';

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
  resume?: boolean;
  json?: boolean;
}

function configOf(o: FinetuneFlags, mode: FinetuneMode): FinetuneRunConfig {
  return {
    policy: o.policy,
    data: o.data,
    out: o.out,
    mode,
    freeze: o.freeze,
    lr: o.lr,
    simData: o.simData,
    simFraction: o.simFraction,
    refitNormalizer: o.refitNormalizer,
    epochs: o.epochs,
    patience: o.patience,
    batchSize: o.batchSize,
    valFraction: o.valFraction,
    seed: o.seed,
    evaluation: {
      scenario: o.evalScenario,
      episodes: o.evalEpisodes,
      randomize: o.evalRandomize === true,
      reality: o.evalReality,
      seed: o.evalSeed,
    },
    ppo: { scenario: o.scenario, envSteps: o.envSteps, randomize: o.randomize === true },
    workers: o.workers,
    backend: o.backend ? parseBackend(o.backend) : undefined,
    includeFlagged: o.includeFlagged === true,
    loopDelay: o.loopDelay,
  };
}

function fmt(m: MeasurementSummary): string {
  const e = m.evaluation;
  const loss = m.targetValLoss === null ? null : `target val loss ${m.targetValLoss.toExponential(3)}`;
  const success = e ? `success ${pct(e.successRate)} (95% CI ${pct(e.successCi95[0])}–${pct(e.successCi95[1])})` : null;
  return [loss, success].filter(Boolean).join(', ');
}

export function registerFinetune(program: Command): void {
  program
    .command('finetune')
    .description(
      'adapt a trained policy to target episodes (BC with frozen layers, lower LR, sim co-training, optionally a re-estimated normaliser) or with PPO; records before/after metrics',
    )
    .requiredOption('--policy <dir>', 'run directory (uses RUN/policy) or policy checkpoint directory')
    .option('--data <dir>', 'target episodes (MCAP file or directory); labels needed for --mode bc')
    .requiredOption('--out <run>', 'new run directory')
    .option('--mode <mode>', 'bc | ppo', 'bc')
    .option('--freeze <k>', 'keep the first k actor layers fixed', nonNegativeInt, FINETUNE_RUN_DEFAULTS.freeze)
    .option('--lr <x>', 'learning rate (default: the pretraining rate / 10)', positiveNumber)
    .option('--sim-data <dir>', 'original sim demonstrations to co-train on')
    .option('--sim-fraction <f>', 'fraction of every minibatch from --sim-data (default 0.3)', Number)
    .option(
      '--normalizer-only',
      'only re-estimate the observation normaliser on the target observations (no labels needed)',
    )
    .option(
      '--refit-normalizer',
      '(bc, ppo) also re-estimate the normaliser on the target observations (default: keep it)',
    )
    .option('--epochs <n>', 'maximum epochs (bc)', positiveInt)
    .option('--patience <p>', 'early stopping patience on the held-out target split (bc, default 10)', nonNegativeInt)
    .option('--batch-size <n>', 'rows per minibatch (bc)', positiveInt)
    .option('--val-fraction <f>', 'fraction of target episodes held out', Number, FINETUNE_RUN_DEFAULTS.valFraction)
    .option('--seed <s>', 'split and data order', nonNegativeInt, FINETUNE_RUN_DEFAULTS.seed)
    .option('--eval-scenario <file>', 'measure success before and after in this scenario')
    .option('--eval-episodes <n>', 'episodes for --eval-scenario', positiveInt, FINETUNE_RUN_DEFAULTS.evalEpisodes)
    .option('--eval-randomize', "evaluate with the scenario's domain randomization")
    .option('--eval-reality <file>', 'evaluate in this emulated reality profile')
    .option('--eval-seed <s>', 'first evaluation seed', nonNegativeInt)
    .option(
      '--scenario <file>',
      '(ppo) scenario to train in (default: --eval-scenario, else the one stored in the policy)',
    )
    .option('--env-steps <n>', '(ppo) environment steps', positiveInt)
    .option('--randomize', "(ppo) train with the scenario's domain randomization")
    .option('--workers <w>', 'worker threads (evaluation, ppo envs)', positiveInt, FINETUNE_RUN_DEFAULTS.workers)
    .option('--backend <name>', 'tensorflow | wasm | cpu (default: the best available)')
    .option(
      '--include-flagged',
      "also learn from flagged episodes (obs outside the contract's range, partial recordings); skipped by default",
    )
    .option(
      '--loop-delay <steps>',
      "(policies trained with delay compensation) the robot's control-loop delay to compensate, control steps (default: estimated from --data, as `episodes latency` does)",
      nonNegativeInt,
    )
    .option('--resume', 'continue the run in --out from its last checkpoint, with the settings it was started with')
    .option('--json', 'print the report as JSON')
    .action(async (o: FinetuneFlags) => {
      if (o.mode !== 'bc' && o.mode !== 'ppo') throw new InputError(`--mode: expected bc | ppo, got "${o.mode}"`);
      if (o.normalizerOnly && o.mode === 'ppo')
        throw new InputError('--normalizer-only: works without --mode ppo (it trains nothing)');
      const config = configOf(o, o.normalizerOnly ? 'normalizer-only' : o.mode);
      const report = await finetuneRun(config, { hooks: terminalHooks(o.json === true), resume: o.resume === true });
      if (o.json) {
        console.log(JSON.stringify(report, null, 2));
        return;
      }
      const freeze = finetuneSettings(config, o.resume).freeze;
      const how = `${report.mode}${report.lr ? `, lr ${report.lr}` : ''}${freeze ? `, first ${freeze} layers frozen` : ''}`;
      console.log(`fine-tuned ${report.from} → ${report.policyId} (${how})`);
      console.log(`before: ${fmt(report.before) || '–'}`);
      console.log(`after:  ${fmt(report.after) || '–'}`);
      console.log(`policy saved to ${report.policy}`);
    });
}
