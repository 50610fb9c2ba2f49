/**
 * Fine-tuning a trained policy on target data (real-robot episodes, or another sim): the standard
 * transfer recipe, measured before and after.
 *
 * - `bc` (default): behaviour cloning on the target episodes starting from the policy, with the
 *   first `freeze` actor layers fixed, a learning rate 10× lower than pretraining, optional
 *   co-training rows from the original sim data (`simData`, `simFraction` of every minibatch) so the
 *   policy does not forget what the target data does not cover, and early stopping on a held-out
 *   target split. The normaliser is kept unless `refitNormalizer`: statistics of a handful of real
 *   episodes are a poor estimate, and on the shipped reality profiles re-estimating them did not
 *   help and cost success with few episodes (docs/design.md, "Findings").
 * - `normalizer-only`: only re-estimate the normaliser on target observations (no labels needed:
 *   sensor offsets and scales differ, the behaviour does not). The network is untouched.
 * - `ppo`: PPO from the policy (`init`) with a lower learning rate in `scenario` (e.g. randomized).
 *
 * The input policy is never modified: fine-tuning works on a copy with a new id.
 * Recorded: the target validation loss before and after, and — with `evaluation` — the success
 * rate before and after in the evaluation env.
 */
import * as tf from '@tensorflow/tfjs';
import type { Scenario } from '../../sim/scenario-schema.js';
import { InputError } from '../../errors.js';
import type { RunDir } from '../../runs/run-dir.js';
import { GaussianMlpPolicy } from '../models/gaussian-policy.js';
import { fitNormalizer, type Dataset, type Transitions } from '../data/dataset.js';
import { BC_DEFAULTS, bcLoss, trainBC, type BcCheckpointing, type BcMetrics, type BcProgress } from '../bc/bc.js';
import { evaluate, type EvaluateOptions, type EvaluationReport } from '../evaluate.js';
import { trainPpo, DEFAULT_PPO_CONFIG, type PpoConfig, type PpoUpdateMetrics } from '../ppo/ppo.js';

export type FinetuneMode = 'bc' | 'normalizer-only' | 'ppo';

export interface FinetuneOptions {
  policy: GaussianMlpPolicy;
  mode?: FinetuneMode;
  /** Target episodes split into train / held-out validation (labels needed for `bc`). Optional for `ppo`. */
  target?: Dataset;
  /** Keep the first k actor layers fixed (default 0). */
  freeze?: number;
  /** Learning rate (default: pretraining rate / 10 — BC 1e-4, PPO 3e-5 unless the checkpoint says otherwise). */
  lr?: number;
  /** The learning rate the policy was trained with (from its checkpoint), for the default above. */
  pretrainLr?: number;
  /** Original sim demonstrations to co-train on (`bc`). */
  simData?: Transitions;
  /** Fraction of every minibatch from `simData` (default 0.3). */
  simFraction?: number;
  /** Re-estimate the normaliser on target observations (default false; `normalizer-only` always does). */
  refitNormalizer?: boolean;
  epochs?: number;
  /** Default 10. */
  patience?: number;
  batchSize?: number;
  seed?: number;
  /** Success rate before and after, in this scenario (with these evaluate() options). */
  evaluation?: { scenario: Scenario; options: EvaluateOptions };
  /** `ppo`: the env to train in, steps, randomization, run directory (metrics, checkpoints; `resume` continues from them). */
  ppo?: {
    scenario: Scenario;
    envSteps?: number;
    randomize?: boolean;
    workers?: number;
    run?: RunDir;
    resume?: boolean;
    config?: Partial<PpoConfig>;
  };
  /** `bc`: periodic checkpoints; with `resume`, training continues from the last one (the settings must be the same). */
  checkpoint?: BcCheckpointing;
  /** Id of the fine-tuned policy (default `<policy id>-ft-<mode>`). */
  id?: string;
  onProgress?: (p: BcProgress) => void | Promise<void>;
  onPpoUpdate?: (m: PpoUpdateMetrics, total: { updates: number; envSteps: number }) => void;
  /** Called with the `before` measurement (before training starts) and the `after` one. */
  onMeasured?: (phase: 'before' | 'after', m: Measurement) => void;
}

export interface Measurement {
  /** MSE of tanh(mean) vs the target validation labels; null without target data. */
  targetValLoss: number | null;
  evaluation: EvaluationReport | null;
}

export interface FinetuneResult {
  policy: GaussianMlpPolicy;
  mode: FinetuneMode;
  lr: number | null;
  before: Measurement;
  after: Measurement;
  /** BC training metrics (`bc` mode). */
  bc: BcMetrics | null;
  /** PPO update metrics (`ppo` mode). */
  ppo: PpoUpdateMetrics[] | null;
}

export const FINETUNE_DEFAULTS = { simFraction: 0.3, patience: 10, epochs: BC_DEFAULTS.epochs, refitNormalizer: false };

/** A deep copy (actor, critic, σ, normaliser) under a new id. */
export function clonePolicy(p: GaussianMlpPolicy, id: string): GaussianMlpPolicy {
  const copy = new GaussianMlpPolicy(id, p.contract, p.arch);
  copy.actor.setWeights(p.actor.getWeights());
  if (p.critic && copy.critic) copy.critic.setWeights(p.critic.getWeights());
  tf.tidy(() => copy.logStd.assign(p.logStd));
  copy.normalizer = p.normalizer.clone();
  copy.delayCompensation = p.delayCompensation;
  copy.syncFastPath();
  return copy;
}

async function measure(
  policy: GaussianMlpPolicy,
  opts: FinetuneOptions,
  phase: 'before' | 'after',
): Promise<Measurement> {
  const val = opts.target?.val;
  const targetValLoss = val && val.n > 0 && val.act.length ? bcLoss(policy, val) : null;
  const evaluation = opts.evaluation ? await evaluate(policy, opts.evaluation.scenario, opts.evaluation.options) : null;
  const m = { targetValLoss, evaluation };
  opts.onMeasured?.(phase, m);
  return m;
}

export async function finetune(opts: FinetuneOptions): Promise<FinetuneResult> {
  const mode = opts.mode ?? 'bc';
  const src = opts.policy;
  if (mode !== 'ppo' && !opts.target)
    throw new InputError(`finetune --mode ${mode}: expected target episodes (--data), got none`);
  const before = await measure(src, opts, 'before');
  let policy = clonePolicy(src, opts.id ?? `${src.id}-ft-${mode}`);
  let lr: number | null = null;
  let bc: BcMetrics | null = null;
  let ppo: PpoUpdateMetrics[] | null = null;

  if (mode === 'normalizer-only') {
    const t = opts.target!;
    // Both halves of the target split: the validation labels are not needed to fit statistics.
    const all: Transitions = {
      ...t.train,
      obs: concat(t.train.obs, t.val.obs),
      n: t.train.n + t.val.n,
      act: new Float32Array(0),
    };
    policy.normalizer = fitNormalizer(all, policy.contract);
    policy.delayCompensation = t.delayCompensation;
    policy.syncFastPath();
  } else if (mode === 'bc') {
    const t = opts.target!;
    if (t.train.act.length === 0)
      throw new InputError(
        'finetune --mode bc: the target episodes carry no action labels (use --normalizer-only for unlabelled data)',
      );
    lr = opts.lr ?? (opts.pretrainLr ?? BC_DEFAULTS.lr) / 10;
    const res = await trainBC({
      data: { train: t.train, val: t.val },
      contract: policy.contract,
      init: policy,
      freeze: opts.freeze ?? 0,
      lr,
      epochs: opts.epochs ?? FINETUNE_DEFAULTS.epochs,
      patience: opts.patience ?? FINETUNE_DEFAULTS.patience,
      batchSize: opts.batchSize,
      seed: opts.seed,
      refitNormalizer: opts.refitNormalizer ?? FINETUNE_DEFAULTS.refitNormalizer,
      coData: opts.simData,
      coFraction: opts.simData ? (opts.simFraction ?? FINETUNE_DEFAULTS.simFraction) : 0,
      // The fine-tuned policy compensates the delay its target observations were compensated with (the robot's; none for data as recorded).
      delayCompensation: t.delayCompensation,
      checkpoint: opts.checkpoint,
      onProgress: opts.onProgress,
    });
    // A resumed run continues the checkpointed copy, not the fresh clone.
    if (res.policy !== policy) {
      policy.dispose();
      policy = res.policy;
    }
    bc = res.metrics;
  } else {
    if (!opts.ppo) throw new InputError('finetune --mode ppo: expected a scenario to train in, got none');
    lr = opts.lr ?? (opts.pretrainLr ?? DEFAULT_PPO_CONFIG.learningRate) / 10;
    if (opts.refitNormalizer && opts.target) {
      policy.normalizer = fitNormalizer(opts.target.train, policy.contract);
      policy.syncFastPath();
    }
    const res = await trainPpo({
      ...opts.ppo.config,
      scenario: opts.ppo.scenario,
      init: policy,
      id: policy.id,
      learningRate: lr,
      frozenLayers: opts.freeze ?? 0,
      envSteps: opts.ppo.envSteps,
      randomize: opts.ppo.randomize,
      workers: opts.ppo.workers,
      seed: opts.seed,
      run: opts.ppo.run,
      resume: opts.ppo.resume,
      onProgress: opts.onPpoUpdate,
    });
    policy.dispose();
    ppo = res.metrics;
    const after = await measure(res.policy, opts, 'after');
    return { policy: res.policy, mode, lr, before, after, bc, ppo };
  }
  const after = await measure(policy, opts, 'after');
  return { policy, mode, lr, before, after, bc, ppo };
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
