/** PPO's settings with their defaults, and the per-update metrics it logs. */
import type { Activation } from '../models/mlp.js';
import type { MetricRow } from '../../runs/run-dir.js';

/** Every PPO setting, with its default. Names follow the paper / CleanRL. */
export interface PpoConfig {
  /** Total environment steps (all envs together); rounded up to whole updates. */
  envSteps: number;
  /** Parallel envs N. */
  numEnvs: number;
  /** Worker threads stepping them. */
  workers: number;
  /** Steps per env per rollout T (the batch is T·N). */
  rolloutSteps: number;
  /** Optimisation epochs K over each batch. */
  epochs: number;
  /** Minibatches per epoch. */
  minibatches: number;
  /** Adam step size α. */
  learningRate: number;
  /** Anneal α linearly to 0 over the run. */
  annealLr: boolean;
  /** Discount γ. */
  gamma: number;
  /** GAE λ. */
  gaeLambda: number;
  /** Surrogate clipping ε. */
  clipCoef: number;
  /** Clip the value loss with the same ε (CleanRL's clip_vloss). */
  clipValueLoss: boolean;
  /** Entropy bonus coefficient c_ent. */
  entCoef: number;
  /** Value loss coefficient c_vf. */
  vfCoef: number;
  /** Global gradient norm limit. */
  maxGradNorm: number;
  /** Stop an update's epochs early once the approximate KL exceeds this (null: never). */
  targetKl: number | null;
  /** Normalise advantages per minibatch. */
  normAdv: boolean;
  /** Multiply rewards by this before GAE (reported returns stay unscaled). */
  rewardScale: number;
  /** Hidden layer sizes of a fresh policy (an `init` policy keeps its own). */
  hidden: number[];
  activation: Activation;
  /** Initial log σ (pre-tanh) of a fresh policy; with `init`, null keeps the init policy's. */
  initLogStd: number | null;
  /** Actor layers (from the input) left untouched (fine-tuning). */
  frozenLayers: number;
  /** Keep updating the observation normaliser from rollouts (null: yes for a fresh policy, no with `init`, whose layers were fitted to its normaliser). */
  updateNormalizer: boolean | null;
  /**
   * Updates at the start that train only the critic (the actor's loss is weighted 0), so a fresh
   * critic under an `init` actor gives sensible advantages before the actor moves (null: 30 when
   * `init` has no critic, else 0).
   */
  criticWarmup: number | null;
  /** Train under the scenario's domain randomization. */
  randomize: boolean;
  /** Override the scenario's episode length (null: the scenario's). */
  maxSteps: number | null;
  seed: number;
  /** Write a resumable checkpoint to run.latestDir every this many updates (and at the end). */
  checkpointEvery: number;
  /** Evaluate the deterministic policy in nominal sim every this many updates (and at the end; 0: never). */
  evalEvery: number;
  /** Episodes per periodic evaluation (seeds DEFAULT_EVAL_SEED + i, the same every time). */
  evalEpisodes: number;
}

/**
 * Defaults for training from scratch; what they reach on navigate-obstacles, and how fast, is in
 * docs/design.md, "Findings".
 */
export const DEFAULT_PPO_CONFIG: PpoConfig = {
  envSteps: 1_000_000,
  numEnvs: 16,
  workers: 2,
  rolloutSteps: 128,
  epochs: 10,
  minibatches: 8,
  learningRate: 3e-4,
  annealLr: true,
  gamma: 0.99,
  gaeLambda: 0.95,
  clipCoef: 0.2,
  clipValueLoss: true,
  entCoef: 0,
  vfCoef: 0.5,
  maxGradNorm: 0.5,
  targetKl: null,
  normAdv: true,
  rewardScale: 1,
  hidden: [64, 64],
  activation: 'tanh',
  initLogStd: null,
  frozenLayers: 0,
  updateNormalizer: null,
  criticWarmup: null,
  randomize: false,
  maxSteps: null,
  seed: 0,
  checkpointEvery: 10,
  evalEvery: 0,
  evalEpisodes: 50,
};

/**
 * Defaults that differ when training starts from an `init` policy (fine-tuning, e.g. from behaviour
 * cloning): smaller, KL-limited steps, fewer and larger minibatches, and (null criticWarmup) 30
 * critic-only updates when the init has no critic. With these, PPO improved on a BC policy; with a
 * larger learning rate and no KL limit it fell below where it started (docs/design.md, "Findings").
 */
const FINE_TUNE_DEFAULTS: Partial<PpoConfig> = { learningRate: 5e-5, targetKl: 0.01, epochs: 5, minibatches: 4 };

/** Log σ of a fresh policy when `initLogStd` is null. */
export const FRESH_LOG_STD = -0.5;

/** One row of metrics.jsonl. Episode fields are over the episodes that ended in this update (null if none). */
export interface PpoUpdateMetrics {
  update: number;
  envSteps: number;
  wallSeconds: number;
  /** Env steps per second over this update (rollout + optimisation). */
  sps: number;
  episodes: number;
  episodeReturn: number | null;
  successRate: number | null;
  episodeLength: number | null;
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  approxKl: number;
  clipFraction: number;
  explainedVariance: number;
  learningRate: number;
  /** Mean σ of the action noise (pre-tanh). */
  actionStd: number;
  /** Seconds of this update spent collecting the rollout and optimising. */
  rolloutSeconds: number;
  optimizeSeconds: number;
  /** Periodic evaluation (deterministic, nominal), on the updates it ran. */
  evalSuccessRate?: number;
  evalReturn?: number;
}

const COUNTS = ['update', 'envSteps', 'wallSeconds', 'episodes'] as const;
const EPISODE_MEANS = ['episodeReturn', 'successRate', 'episodeLength'] as const;

/** Whether a row read back from metrics.jsonl is an update's (the file is JSON: nothing types it but this check). */
export function isPpoUpdateMetrics(row: MetricRow): row is MetricRow & PpoUpdateMetrics {
  return (
    COUNTS.every((k) => typeof row[k] === 'number') &&
    EPISODE_MEANS.every((k) => row[k] === null || typeof row[k] === 'number')
  );
}

/**
 * The settings a run uses: the defaults overridden by what `opts` sets, with the automatic ones
 * (null) decided by whether the run starts from an `init` policy and whether it has a critic.
 */
export function resolvePpoConfig(opts: Partial<PpoConfig>, init?: { critic: unknown }): PpoConfig {
  const given = Object.fromEntries(Object.entries(opts).filter(([k, v]) => k in DEFAULT_PPO_CONFIG && v !== undefined));
  const config: PpoConfig = { ...DEFAULT_PPO_CONFIG, ...(init ? FINE_TUNE_DEFAULTS : {}), ...given };
  if (config.updateNormalizer === null) config.updateNormalizer = !init;
  if (config.criticWarmup === null) config.criticWarmup = init && !init.critic ? 30 : 0;
  return config;
}
