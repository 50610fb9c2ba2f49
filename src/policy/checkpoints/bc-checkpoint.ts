/**
 * Resumable behaviour cloning: the training state that goes with a periodic checkpoint.
 *
 * `<dir>/latest` holds the weights after the last checkpointed epoch (every `every` epochs, and the
 * final policy once training ends), `<dir>/best` the weights with the lowest validation loss so far
 * (written whenever it improves, so it may be ahead of `latest`); both are ordinary policy
 * checkpoints (saveCheckpoint, written atomically) whose `training.bcState` says where the run was.
 *
 * Not saved: Adam's moment estimates. A resumed run restarts them from zero (the first few steps
 * after a resume take slightly different sizes); the data order of every epoch depends only on
 * (seed, epoch), so the resumed run sees the same batches it would have seen.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { Serialisable } from '../../sim/env.js';
import { InputError } from '../../errors.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import type { GaussianMlpPolicy } from '../models/gaussian-policy.js';

export interface BcState {
  /** Last completed epoch (1-based; 0 = none). */
  epoch: number;
  bestValLoss: number;
  bestEpoch: number;
  /** Mean training loss of each completed epoch. */
  trainLoss: number[];
  valLoss: number[];
  /** Training ended (early stop or last epoch): `latest` holds the final policy (best weights, log std set). */
  finished?: boolean;
  stoppedEarly?: boolean;
}

export interface BcCheckpointing {
  /** Directory holding `latest/` and `best/` (a run's `checkpoints/`). */
  dir: string;
  /** Checkpoint every this many epochs (default 1). */
  every?: number;
  /** Continue from `<dir>/latest` when it exists (else start fresh). */
  resume?: boolean;
  /** Stored in every checkpoint (see SaveOptions). */
  scenario: Serialisable;
  training: Serialisable;
}

const latestDir = (c: BcCheckpointing): string => join(c.dir, 'latest');
const bestDir = (c: BcCheckpointing): string => join(c.dir, 'best');

function withState(training: Serialisable, state: BcState): Serialisable {
  const base =
    training !== null && typeof training === 'object' && !Array.isArray(training) ? training : { config: training };
  return { ...base, bcState: state };
}

/** Save the policy's current weights as `best` (they just improved) and/or `latest`. */
export async function saveBcCheckpoint(
  c: BcCheckpointing,
  policy: GaussianMlpPolicy,
  state: BcState,
  which: { best: boolean; latest: boolean },
): Promise<void> {
  const metrics = {
    epoch: state.epoch,
    trainLoss: state.trainLoss.at(-1) ?? null,
    valLoss: state.valLoss.at(-1) ?? null,
    bestValLoss: state.bestValLoss,
    bestEpoch: state.bestEpoch,
  };
  const opts = { scenario: c.scenario, training: withState(c.training, state), metrics };
  if (which.best) await saveCheckpoint(bestDir(c), policy, opts);
  if (which.latest) await saveCheckpoint(latestDir(c), policy, opts);
}

export interface ResumePoint {
  policy: GaussianMlpPolicy;
  state: BcState;
  /** Actor weights of the best epoch so far (caller owns them). */
  best: tf.Tensor[] | null;
}

function stateOf(training: Serialisable, where: string): BcState {
  const s = (training as { bcState?: BcState } | null)?.bcState;
  if (!s || typeof s.epoch !== 'number')
    throw new InputError(`${where}: expected a behaviour-cloning checkpoint (training.bcState), got none`);
  // JSON has no Infinity / NaN: they come back as null.
  const num = (x: unknown, fallback: number) => (typeof x === 'number' ? x : fallback);
  return {
    ...s,
    bestValLoss: num(s.bestValLoss, Infinity),
    trainLoss: s.trainLoss.map((x) => num(x, NaN)),
    valLoss: s.valLoss.map((x) => num(x, NaN)),
  };
}

/** The checkpoint to resume from, or null when there is none yet. */
export async function loadResumePoint(c: BcCheckpointing): Promise<ResumePoint | null> {
  if (!existsSync(join(latestDir(c), 'policy.json'))) return null;
  const latest = await loadCheckpoint(latestDir(c));
  const state = stateOf(latest.file.training, latestDir(c));
  let best: tf.Tensor[] | null = null;
  if (existsSync(join(bestDir(c), 'policy.json'))) {
    const b = await loadCheckpoint(bestDir(c));
    const bs = stateOf(b.file.training, bestDir(c));
    best = b.policy.actor.getWeights().map((w) => w.clone());
    b.policy.dispose();
    // `best` is written first: it may be one checkpoint ahead of `latest`.
    if (bs.bestValLoss <= state.bestValLoss) {
      state.bestValLoss = bs.bestValLoss;
      state.bestEpoch = bs.bestEpoch;
    }
  }
  return { policy: latest.policy, state, best };
}
