/**
 * Behaviour cloning (regression onto expert actions), Brax `train()`-shaped:
 * `trainBC(options) → { policy, metrics }`, options with documented defaults and a progress callback.
 *
 * 1. Fit the observation normaliser on the training observations (unless fine-tuning keeps it).
 * 2. Regress the pre-tanh mean u of the Gaussian MLP policy so that tanh(u) matches the label:
 *    loss = mean over batch and action elements of (tanh(u) − label)², Adam, shuffled minibatches.
 *    (MSE in action space, not Gaussian NLL: labels at ±1 — saturated expert commands — would
 *    ask u for ±∞ under an NLL on atanh(label); here they just stop pulling once tanh(u) ≈ ±1.)
 * 3. After every epoch, the validation loss (held-out episodes); keep the best weights; stop
 *    after `patience` epochs without improvement. The returned policy has the best weights.
 * 4. Set the policy's log std from the validation residuals (per action element, clamped to
 *    [0.05, 1]): the sampled policy then explores about as far as the clone is wrong, a sensible
 *    start for PPO fine-tuning. Deterministic actions (tanh(u)) do not use it.
 *
 * Fine-tuning uses the same loop: `init` (trained in place), `freeze` (first k actor layers kept),
 * a lower `lr`, co-training rows from `coData` in a `coFraction` of every minibatch, and
 * `refitNormalizer` (re-estimate the normaliser on the new training observations).
 */
import * as tf from '@tensorflow/tfjs';
import type { Contract } from '../../sim/contract.js';
import { Rng } from '../../sim/rng.js';
import { InputError } from '../../errors.js';
import { GaussianMlpPolicy } from '../models/gaussian-policy.js';
import type { Activation } from '../models/mlp.js';
// The PPO trainer's forward pass with wasm-friendly gradients (explicit transposes; see ppo-mlp.ts).
import { actorMean } from '../ppo/mlp.js';
import { fitNormalizer, type Transitions } from '../data/dataset.js';
import { loadResumePoint, saveBcCheckpoint, type BcCheckpointing, type BcState } from '../checkpoints/bc-checkpoint.js';
import type { DelayCompensation } from '../../sim/delay-compensator.js';

export type { BcCheckpointing, BcState };

/** Hidden layers of a BC policy unless told otherwise (see README "Policies" for the measurements). */
export const DEFAULT_BC_HIDDEN = [128, 128];

export interface BcOptions {
  /** Training rows and held-out validation rows (validation may be empty: then the training loss decides). */
  data: { train: Transitions; val: Transitions };
  contract: Contract;
  /** Hidden layer sizes of a new policy (default DEFAULT_BC_HIDDEN). Ignored with `init`. */
  hidden?: number[];
  /** Hidden activation of a new policy (default 'relu'). Ignored with `init`. */
  activation?: Activation;
  /** Build a (untrained) critic too, for PPO fine-tuning later (default false). */
  critic?: boolean;
  /** Maximum epochs (passes over the training rows; default 200). */
  epochs?: number;
  /** Rows per minibatch (default 256). */
  batchSize?: number;
  /** Adam learning rate (default 1e-3). */
  lr?: number;
  /** Stop after this many epochs without a lower validation loss (default 20; 0 = never stop early). */
  patience?: number;
  /** Data order (default 0). Weight initialisation is fixed by the architecture. */
  seed?: number;
  /** Start from this policy (fine-tuning); it is trained in place and returned. */
  init?: GaussianMlpPolicy;
  /** Keep the first `freeze` actor layers fixed (default 0). */
  freeze?: number;
  /** Fit the normaliser on `data.train` (default: true for a new policy, false with `init`). */
  refitNormalizer?: boolean;
  /** Co-training rows (e.g. the original sim demonstrations while fine-tuning on target data). */
  coData?: Transitions;
  /** Fraction of every minibatch drawn from `coData` (default 0.5 when coData is given). */
  coFraction?: number;
  /** Id of a new policy (default `bc-<timestamp>`). */
  policyId?: string;
  /** The delay compensation the training observations carry (Dataset.delayCompensation); default: none, or `init`'s. */
  delayCompensation?: DelayCompensation;
  /** Periodic checkpoints and `resume`. */
  checkpoint?: BcCheckpointing;
  /** After every epoch (awaited: it may evaluate or log). */
  onProgress?: (p: BcProgress) => void | Promise<void>;
}

export interface BcProgress {
  epoch: number;
  epochs: number;
  trainLoss: number;
  /** NaN when there is no validation data. */
  valLoss: number;
  bestValLoss: number;
  bestEpoch: number;
  /** Seconds since this call started. */
  seconds: number;
  /** The policy with the current (not the best) weights, fast path synced. */
  policy: GaussianMlpPolicy;
}

export interface BcMetrics {
  /** Epochs completed (including ones before a resume). */
  epochs: number;
  bestEpoch: number;
  bestValLoss: number;
  finalTrainLoss: number;
  stoppedEarly: boolean;
  /** Epoch the run resumed after, or null. */
  resumedFrom: number | null;
  trainSamples: number;
  valSamples: number;
  coSamples: number;
  /** Wall time of this call. */
  seconds: number;
  logStd: number[];
  trainLoss: number[];
  valLoss: number[];
}

export const BC_DEFAULTS = {
  epochs: 200,
  batchSize: 256,
  lr: 1e-3,
  patience: 20,
  seed: 0,
  activation: 'relu' as Activation,
  coFraction: 0.5,
};

/** `--freeze k` keeps the first k actor layers fixed: the last one must train. */
export function checkFreeze(freeze: number, policy: GaussianMlpPolicy): void {
  const nLayers = policy.actor.layers.length;
  if (!Number.isInteger(freeze) || freeze < 0 || freeze >= nLayers)
    throw new InputError(
      `--freeze: expected an integer in [0, ${nLayers - 1}] (the actor has ${nLayers} layers), got ${freeze}`,
    );
}

/** Mean squared error of tanh(mean(obs)) against the labels, over all rows (chunked). */
export function bcLoss(policy: GaussianMlpPolicy, data: Transitions): number {
  if (data.n === 0) return NaN;
  const norm = policy.normalizer.apply(data.obs);
  let sum = 0;
  const chunk = 8192;
  for (let s = 0; s < data.n; s += chunk) {
    const m = Math.min(chunk, data.n - s);
    sum += tf.tidy(() => {
      const x = tf.tensor2d(norm.subarray(s * data.obsSize, (s + m) * data.obsSize), [m, data.obsSize]);
      const y = tf.tensor2d(data.act.subarray(s * data.actSize, (s + m) * data.actSize), [m, data.actSize]);
      return tf.sum(tf.squaredDifference(tf.tanh(policy.meanTensor(x)), y)).dataSync()[0];
    });
  }
  return sum / (data.n * data.actSize);
}

/** Per action element RMS of label − tanh(mean). */
function residualRms(policy: GaussianMlpPolicy, data: Transitions): number[] {
  const out = new Array<number>(data.actSize).fill(0);
  for (let i = 0; i < data.n; i++) {
    const u = policy.mean(data.obs.subarray(i * data.obsSize, (i + 1) * data.obsSize));
    for (let j = 0; j < data.actSize; j++) out[j] += (data.act[i * data.actSize + j] - Math.tanh(u[j])) ** 2;
  }
  return out.map((s) => Math.sqrt(s / Math.max(1, data.n)));
}

function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

function checkData(name: string, t: Transitions, obsSize: number, actSize: number): void {
  if (t.obsSize !== obsSize || t.actSize !== actSize)
    throw new InputError(
      `bc: ${name} rows have ${t.obsSize} obs / ${t.actSize} action values, the contract ${obsSize} / ${actSize}`,
    );
  if (t.n > 0 && t.act.length !== t.n * actSize)
    throw new InputError(`bc: ${name} has no action labels (behaviour cloning needs labelled episodes)`);
}

export async function trainBC(opts: BcOptions): Promise<{ policy: GaussianMlpPolicy; metrics: BcMetrics }> {
  const t0 = performance.now();
  const { train, val } = opts.data;
  const epochs = opts.epochs ?? BC_DEFAULTS.epochs;
  const batchSize = opts.batchSize ?? BC_DEFAULTS.batchSize;
  const lr = opts.lr ?? BC_DEFAULTS.lr;
  const patience = opts.patience ?? BC_DEFAULTS.patience;
  const seed = opts.seed ?? BC_DEFAULTS.seed;
  const freeze = opts.freeze ?? 0;
  const co = opts.coData && opts.coData.n > 0 ? opts.coData : null;
  const coFraction = co ? (opts.coFraction ?? BC_DEFAULTS.coFraction) : 0;
  if (train.n === 0) throw new InputError('bc: no training rows (the training episodes have no steps)');
  if (!(coFraction >= 0 && coFraction < 1))
    throw new InputError(`bc: coFraction: expected a number in [0, 1), got ${coFraction}`);

  // The policy: resumed, given, or new.
  const resumed = opts.checkpoint?.resume ? await loadResumePoint(opts.checkpoint) : null;
  const resumedFrom = resumed ? resumed.state.epoch : null;
  let policy: GaussianMlpPolicy;
  if (resumed) {
    policy = resumed.policy;
  } else if (opts.init) {
    policy = opts.init;
    if (opts.refitNormalizer === true) policy.normalizer = fitNormalizer(train, opts.contract);
  } else {
    const arch = {
      hidden: opts.hidden ?? DEFAULT_BC_HIDDEN,
      activation: opts.activation ?? BC_DEFAULTS.activation,
      critic: opts.critic ?? false,
      initLogStd: -1,
    };
    policy = new GaussianMlpPolicy(opts.policyId ?? `bc-${new Date().toISOString()}`, opts.contract, arch);
    if (opts.refitNormalizer !== false) policy.normalizer = fitNormalizer(train, opts.contract);
  }
  if (opts.delayCompensation) policy.delayCompensation = opts.delayCompensation;
  const { obsSize, actSize } = policy;
  checkData('training data', train, obsSize, actSize);
  checkData('validation data', val, obsSize, actSize);
  if (co) checkData('co-training data', co, obsSize, actSize);
  checkFreeze(freeze, policy);

  const state: BcState = resumed?.state ?? {
    epoch: 0,
    bestValLoss: Infinity,
    bestEpoch: 0,
    trainLoss: [],
    valLoss: [],
  };
  // A run that ended at its last epoch (not by early stopping) may be extended with more epochs.
  if (state.finished && !state.stoppedEarly && state.epoch < epochs) state.finished = false;
  let best: tf.Tensor[] | null = resumed?.best ?? null;
  const keepBest = () => {
    best?.forEach((w) => w.dispose());
    best = policy.actor.getWeights().map((w) => w.clone());
  };

  // Whole datasets live on the backend once, normalised; minibatches are gathered from them.
  const X = tf.tensor2d(policy.normalizer.apply(train.obs), [train.n, obsSize]);
  const Y = tf.tensor2d(train.act, [train.n, actSize]);
  const Xc = co ? tf.tensor2d(policy.normalizer.apply(co.obs), [co.n, obsSize]) : null;
  const Yc = co ? tf.tensor2d(co.act, [co.n, actSize]) : null;
  const optimizer = tf.train.adam(lr);
  const vars = policy.actorVariables(freeze);
  const coRows = Math.round(coFraction * batchSize);
  const mainRows = Math.max(1, batchSize - coRows);
  const stepsPerEpoch = Math.ceil(train.n / mainRows);
  let coOrder = co ? permutation(co.n, Rng.derive(seed, 'bc-co-0')) : null;
  let coPos = 0;
  let stoppedEarly = state.stoppedEarly ?? false;

  try {
    while (!state.finished && state.epoch < epochs) {
      const epoch = state.epoch + 1;
      const order = permutation(train.n, Rng.derive(seed, `bc-epoch-${epoch}`));
      let lossSum = 0;
      for (let s = 0; s < stepsPerEpoch; s++) {
        const idx = order.subarray(s * mainRows, Math.min(train.n, (s + 1) * mainRows));
        let coIdx: Int32Array | null = null;
        if (co && coOrder && coRows > 0) {
          coIdx = new Int32Array(coRows);
          for (let k = 0; k < coRows; k++) {
            if (coPos >= co.n) {
              coOrder = permutation(co.n, Rng.derive(seed, `bc-co-${epoch}-${s}`));
              coPos = 0;
            }
            coIdx[k] = coOrder[coPos++];
          }
        }
        const loss = tf.tidy(() => {
          const i = tf.tensor1d(idx, 'int32');
          let x = tf.gather(X, i);
          let y = tf.gather(Y, i);
          if (coIdx && Xc && Yc) {
            const j = tf.tensor1d(coIdx, 'int32');
            x = tf.concat([x, tf.gather(Xc, j)]);
            y = tf.concat([y, tf.gather(Yc, j)]);
          }
          return optimizer.minimize(
            () => tf.mean(tf.squaredDifference(tf.tanh(actorMean(policy, x as tf.Tensor2D)), y)) as tf.Scalar,
            true,
            vars,
          )!;
        });
        lossSum += (await loss.data())[0];
        loss.dispose();
      }
      const trainLoss = lossSum / stepsPerEpoch;
      const valLoss = val.n > 0 ? bcLoss(policy, val) : NaN;
      const score = val.n > 0 ? valLoss : trainLoss;
      state.epoch = epoch;
      state.trainLoss.push(trainLoss);
      state.valLoss.push(valLoss);
      const improved = score < state.bestValLoss;
      if (improved) {
        state.bestValLoss = score;
        state.bestEpoch = epoch;
        keepBest();
      }
      policy.syncFastPath();
      const every = opts.checkpoint?.every ?? 1;
      // Progress (the caller's metrics row) before the checkpoint: a run killed between the two
      // resumes from the epoch before and rewrites that row, where the other order lost it.
      await opts.onProgress?.({
        epoch,
        epochs,
        trainLoss,
        valLoss,
        bestValLoss: state.bestValLoss,
        bestEpoch: state.bestEpoch,
        seconds: (performance.now() - t0) / 1000,
        policy,
      });
      if (opts.checkpoint)
        await saveBcCheckpoint(opts.checkpoint, policy, state, {
          best: improved,
          latest: epoch % every === 0 || epoch === epochs,
        });
      if (patience > 0 && epoch - state.bestEpoch >= patience) {
        stoppedEarly = true;
        break;
      }
    }
  } finally {
    optimizer.dispose();
    for (const t of [X, Y, Xc, Yc]) t?.dispose();
  }

  if (best) {
    policy.actor.setWeights(best);
    (best as tf.Tensor[]).forEach((w) => w.dispose());
  }
  policy.syncFastPath();
  const rms = residualRms(policy, val.n > 0 ? val : train);
  const logStd = rms.map((r) => Math.log(Math.min(1, Math.max(0.05, r))));
  tf.tidy(() => policy.logStd.assign(tf.tensor1d(logStd)));
  policy.syncFastPath();
  if (opts.checkpoint && !state.finished) {
    state.finished = true;
    state.stoppedEarly = stoppedEarly;
    await saveBcCheckpoint(opts.checkpoint, policy, state, { best: false, latest: true });
  }
  return {
    policy,
    metrics: {
      epochs: state.epoch,
      bestEpoch: state.bestEpoch,
      bestValLoss: state.bestValLoss,
      finalTrainLoss: state.trainLoss.at(-1) ?? NaN,
      stoppedEarly,
      resumedFrom,
      trainSamples: train.n,
      valSamples: val.n,
      coSamples: co?.n ?? 0,
      seconds: (performance.now() - t0) / 1000,
      logStd,
      trainLoss: state.trainLoss,
      valLoss: state.valLoss,
    },
  };
}
