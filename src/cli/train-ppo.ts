/**
 * `sim2real train <scenario> --algo ppo`: the flags as a TrainPpoConfig for src/pipelines/train-ppo.ts
 * (the run and its files are described there), and its report printed. src/cli/train.ts owns the
 * command; this file is its `--algo ppo` branch.
 */
import { InputError } from '../errors.js';
import { parseBackend } from '../policy/models/backend.js';
import type { PpoConfig } from '../policy/ppo/ppo.js';
import { trainPpo, type TrainPpoConfig, type TrainPpoReport } from '../pipelines/train-ppo.js';
import { wholePercent as pct } from '../ui/percent.js';
import { terminalHooks } from '../ui/run-hooks.js';

export type { TrainPpoReport };

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

function num(
  flag: string,
  raw: number | string | undefined,
  ok: (n: number) => boolean,
  kind: string,
): number | undefined {
  if (raw === undefined) return undefined;
  const n = typeof raw === 'number' ? raw : Number(raw);
  if ((typeof raw === 'string' && raw.trim() === '') || !Number.isFinite(n) || !ok(n))
    throw new InputError(`--${flag}: expected ${kind}, got "${raw}"`);
  return n;
}
const posInt = (flag: string, raw: number | string | undefined) =>
  num(flag, raw, (n) => Number.isInteger(n) && n >= 1, 'a positive integer');
const nonNegInt = (flag: string, raw: number | string | undefined) =>
  num(flag, raw, (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer');

function parseHidden(raw: string | number[] | undefined): number[] | undefined {
  if (raw === undefined) return undefined;
  const parts = Array.isArray(raw) ? raw : raw.split(',').map((s) => Number(s.trim()));
  if (parts.length === 0 || parts.some((n) => !Number.isInteger(n) || n < 1))
    throw new InputError(`--hidden: expected comma-separated positive integers like 64,64, got "${String(raw)}"`);
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
    evalEpisodes:
      f.evalEpisodes === undefined || Number(f.evalEpisodes) === 0
        ? undefined
        : posInt('eval-episodes', f.evalEpisodes),
    seed: nonNegInt('seed', f.seed),
    hidden: parseHidden(f.hidden),
    randomize: f.randomize ? true : undefined,
  };
}

/** The run the flags ask for; unset flags stay unset (the defaults, or the resumed run's settings). */
function trainPpoConfig(scenario: string, f: TrainPpoFlags): TrainPpoConfig {
  return {
    scenario,
    out: f.out,
    init: f.init ?? null,
    ...configFlags(f),
    evalEpisodes: nonNegInt('eval-episodes', f.evalEpisodes),
    backend: f.backend ? parseBackend(f.backend) : null,
  };
}

function printReport(report: TrainPpoReport): void {
  const { scenario, updates, envSteps, wallSeconds, evaluation: e } = report;
  const training = `training success (last updates) ${pct(report.trainSuccessRate)}`;
  console.log(
    `PPO on ${scenario}: ${updates} updates, ${envSteps} env steps in ${wallSeconds.toFixed(0)} s; ${training}`,
  );
  if (e) {
    const [lo, hi] = e.successCi95;
    const means = `mean return ${e.meanReturn.toFixed(2)}, mean length ${e.meanLength.toFixed(0)}`;
    console.log(
      `evaluation (deterministic, nominal, ${e.episodes} episodes): success ${pct(e.successRate)} [${pct(lo)}, ${pct(hi)}], ${means}`,
    );
  }
  console.log(`policy saved to ${report.policy}; metrics and plots in ${report.run}`);
}

export async function trainPpoCommand(scenarioFile: string, flags: TrainPpoFlags): Promise<TrainPpoReport> {
  const report = await trainPpo(trainPpoConfig(scenarioFile, flags), {
    resume: flags.resume,
    hooks: terminalHooks(flags.json === true),
  });
  if (flags.json) console.log(JSON.stringify(report, null, 2));
  else printReport(report);
  return report;
}
