/**
 * `sim2real train <scenario> --algo bc|ppo`: train a policy into a run directory.
 *
 * `--algo bc` (this file): behaviour cloning from demonstration episodes (`--data`), optionally
 * followed by DAgger relabelling rounds (`--dagger-rounds`); the run itself is src/pipelines/train-bc.ts.
 * `--algo ppo`: train-ppo.ts.
 */
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { BC_DEFAULTS, DEFAULT_BC_HIDDEN } from '../policy/bc/bc.js';
import { DAGGER_DEFAULTS } from '../policy/bc/dagger.js';
import {
  bcRunDefaults,
  defaultBcRunDir,
  openBcRun,
  trainBc,
  type BcRunConfig,
  type TrainBcReport,
} from '../pipelines/train-bc.js';
import { loadScenario } from '../sim/scenario-file.js';
import { terminalHooks } from '../ui/run-hooks.js';
import { formatPercent as pct } from '../ui/percent.js';
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

function parseHiddenList(raw: string): number[] {
  const parts = raw.split(',').map((s) => Number(s.trim()));
  if (raw.trim() === '' || parts.some((n) => !Number.isInteger(n) || n < 1))
    throw new InputError(`--hidden: expected comma-separated positive integers like 256,256, got "${raw}"`);
  return parts;
}

// Some flags are shared with --algo ppo, whose parser keeps them as given.
const num = (raw: unknown, fallback: number): number => (raw === undefined ? fallback : Number(raw));

function bcConfig(o: TrainFlags & { data: string }): BcRunConfig {
  const d = bcRunDefaults(o.data);
  const activation = o.activation ?? d.activation;
  if (activation !== 'relu' && activation !== 'tanh')
    throw new InputError(`--activation: expected relu | tanh, got "${activation}"`);
  const valFraction = num(o.valFraction, d.valFraction);
  if (!(valFraction >= 0 && valFraction < 1))
    throw new InputError(`--val-fraction: expected a number in [0, 1), got "${o.valFraction}"`);
  return {
    data: o.data,
    hidden: o.hidden ? parseHiddenList(o.hidden) : d.hidden,
    activation,
    epochs: num(o.epochs, d.epochs),
    batchSize: num(o.batchSize, d.batchSize),
    lr: num(o.lr, d.lr),
    valFraction,
    patience: num(o.patience, d.patience),
    seed: num(o.seed, d.seed),
    daggerRounds: num(o.daggerRounds, d.daggerRounds),
    daggerEpisodes: num(o.daggerEpisodes, d.daggerEpisodes),
    daggerRandomize: o.randomize === true,
    evalEpisodes: num(o.evalEpisodes, d.evalEpisodes),
    evalEvery: num(o.evalEvery, d.evalEvery),
    workers: num(o.workers, d.workers),
    includeFlagged: o.includeFlagged === true,
  };
}

export function printBcReport(report: TrainBcReport): void {
  const r = report;
  console.log(
    `behaviour cloning on ${r.scenario}: ${r.trainEpisodes} training / ${r.valEpisodes} validation episodes (${r.trainSamples} / ${r.valSamples} steps), ${r.epochs} epochs in ${r.trainSeconds.toFixed(1)} s; best validation loss ${r.bestValLoss.toExponential(3)}${r.stoppedEarly ? ' (stopped early)' : ''}`,
  );
  for (const d of r.daggerRounds)
    console.log(
      `  dagger round ${d.round}: policy success while relabelling ${d.rolloutSuccessRate === null ? '–' : pct(d.rolloutSuccessRate)}, ${d.rows} training rows, best validation loss ${d.bestValLoss.toExponential(3)}`,
    );
  const e = r.evaluation;
  if (e) {
    const [lo, hi] = e.successCi95;
    console.log(
      `evaluation (deterministic, nominal sim, ${e.episodes} episodes): success ${pct(e.successRate)} (95% CI ${pct(lo)}–${pct(hi)}), mean return ${e.meanReturn.toFixed(2)}, mean length ${e.meanLength.toFixed(1)}`,
    );
  }
  console.log(`policy saved to ${r.policy}; metrics and plots in ${r.run}`);
}

async function trainBcCommand(scenario: string, o: TrainFlags): Promise<void> {
  // The scenario and the run directory are checked before the flags, and a resumed run keeps the
  // settings it saved (the bc flags given now are ignored; --data may be left out).
  const out = o.out ?? defaultBcRunDir(loadScenario(scenario).name);
  const resumed = openBcRun(out, o.resume === true).resumedSettings;
  const bc = resumed ?? (o.data === undefined ? undefined : bcConfig({ ...o, data: o.data }));
  const quiet = o.json === true;
  const report = await trainBc(
    { scenario, out, bc, backend: o.backend },
    { resume: o.resume === true, hooks: terminalHooks(quiet) },
  );
  if (quiet) console.log(JSON.stringify(report, null, 2));
  else printBcReport(report);
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
    .option(
      '--patience <p>',
      `(bc) stop after p epochs without a better validation loss (default ${BC_DEFAULTS.patience}; 0 never)`,
      nonNegativeInt,
    )
    .option(
      '--dagger-rounds <r>',
      '(bc) DAgger rounds after cloning: the policy drives, the expert relabels (default 0)',
      nonNegativeInt,
    )
    .option(
      '--dagger-episodes <n>',
      `(bc) policy-driven episodes per DAgger round (default ${DAGGER_DEFAULTS.episodesPerRound})`,
      positiveInt,
    )
    .option(
      '--include-flagged',
      "(bc) also learn from flagged episodes in --data (obs outside the contract's range, partial recordings); skipped by default",
    )
    .option('--seed <s>', 'seed (bc: data split and order)', nonNegativeInt)
    .option('--backend <name>', 'tensorflow | wasm | cpu (default: the best available)')
    .option('--resume', 'continue the run in --out from its last checkpoint')
    .option('--eval-episodes <n>', 'evaluation episodes at the end, nominal sim (default 50; 0 skips)', nonNegativeInt)
    .option(
      '--eval-every <k>',
      'also evaluate every k epochs (bc) or updates (ppo) (default 0: only at the end)',
      nonNegativeInt,
    )
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
    .option(
      '--critic-warmup <n>',
      '(ppo) critic-only updates before the actor moves (default 30 with --init and no critic)',
      nonNegativeInt,
    )
    .option(
      '--randomize',
      "with the scenario's domain randomization: (ppo) the training envs, (bc) the DAgger rounds' rollouts",
    )
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
