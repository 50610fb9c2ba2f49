/**
 * PPO training checkpoints: a policy checkpoint directory (actor, critic, normaliser: see
 * checkpoint.ts) plus what a resumed run needs — `ppo-state.json` (updates done, env steps, wall
 * time, the resolved settings) and `optimizer.bin` (Adam's step count and moments, float32, in the
 * order of `ppo-state.json`'s `optimizer.tensors`). The whole directory is staged and swapped in
 * by rename, so a kill at any point leaves either the previous or the new checkpoint.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Serialisable } from '../../sim/env.js';
import { InputError } from '../../errors.js';
import { loadCheckpoint, saveCheckpoint, type SaveOptions } from '../checkpoints/checkpoint.js';
import type { GaussianMlpPolicy } from '../models/gaussian-policy.js';

const PPO_STATE_FORMAT = 'sim2real-ppo-state/1';

export interface PpoState {
  format: typeof PPO_STATE_FORMAT;
  /** Updates completed. */
  update: number;
  envSteps: number;
  wallSeconds: number;
  /** The resolved training settings (PpoConfig). */
  config: Serialisable;
  optimizer: { file: string; tensors: { name: string; shape: number[]; dtype: 'float32' | 'int32' }[] };
}

export async function saveTrainingCheckpoint(
  dir: string,
  policy: GaussianMlpPolicy,
  optimizer: tf.Optimizer,
  state: Omit<PpoState, 'format' | 'optimizer'>,
  opts: SaveOptions,
): Promise<void> {
  const parent = dirname(dir);
  const staging = join(parent, `.${basename(dir)}.staging-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  await saveCheckpoint(staging, policy, opts);
  const weights = await optimizer.getWeights();
  // Adam's step count is an int32 scalar; everything is stored as float32 (exact below 2^24 steps).
  const parts = weights.map((w) => Float32Array.from(w.tensor.dataSync()));
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    bytes.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), offset);
    offset += p.byteLength;
  }
  writeFileSync(join(staging, 'optimizer.bin'), bytes);
  const file: PpoState = {
    format: PPO_STATE_FORMAT,
    ...state,
    optimizer: {
      file: 'optimizer.bin',
      tensors: weights.map((w) => ({
        name: w.name,
        shape: w.tensor.shape,
        dtype: w.tensor.dtype === 'int32' ? 'int32' : 'float32',
      })),
    },
  };
  writeFileSync(join(staging, 'ppo-state.json'), JSON.stringify(file, null, 1));
  const old = join(parent, `.${basename(dir)}.old-${process.pid}`);
  rmSync(old, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(staging, dir);
  rmSync(old, { recursive: true, force: true });
  // What killed saves left (a run dir has one trainer at a time): the new checkpoint supersedes it.
  for (const n of readdirSync(parent)) {
    if (n.startsWith(`.${basename(dir)}.staging-`) || n.startsWith(`.${basename(dir)}.old-`))
      rmSync(join(parent, n), { recursive: true, force: true });
  }
}

/** The checkpoint dir, or the previous one a run killed mid-swap left aside (`.latest.old-<pid>`). */
function findCheckpoint(dir: string): string | null {
  if (existsSync(join(dir, 'ppo-state.json'))) return dir;
  const parent = dirname(dir);
  if (!existsSync(parent)) return null;
  const aside = readdirSync(parent).filter(
    (n) => n.startsWith(`.${basename(dir)}.old-`) && existsSync(join(parent, n, 'ppo-state.json')),
  );
  return aside.length > 0 ? join(parent, aside[0]) : null;
}

/** Whether `dir` (or what a save killed mid-swap left aside) holds a training checkpoint to resume. */
export function hasTrainingCheckpoint(dir: string): boolean {
  return findCheckpoint(dir) !== null;
}

export interface LoadedTrainingCheckpoint {
  policy: GaussianMlpPolicy;
  state: PpoState;
  /** Adam's weights, for optimizer.setWeights() (the caller owns the tensors). */
  optimizerWeights: { name: string; tensor: tf.Tensor }[];
}

export async function loadTrainingCheckpoint(dir: string): Promise<LoadedTrainingCheckpoint> {
  const found = findCheckpoint(dir);
  if (!found)
    throw new InputError(
      `${dir}: expected a PPO training checkpoint (with ppo-state.json) to resume from, got ${existsSync(dir) ? 'a directory without one' : 'nothing'}`,
    );
  const state = JSON.parse(readFileSync(join(found, 'ppo-state.json'), 'utf8')) as PpoState;
  if (state.format !== PPO_STATE_FORMAT)
    throw new InputError(
      `${found}/ppo-state.json:format: expected "${PPO_STATE_FORMAT}", got ${JSON.stringify(state.format)}`,
    );
  const { policy } = await loadCheckpoint(found);
  const bin = readFileSync(join(found, state.optimizer.file));
  const values = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
  let offset = 0;
  const optimizerWeights = state.optimizer.tensors.map(({ name, shape, dtype }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const tensor = tf.tensor(values.subarray(offset, offset + size), shape, dtype);
    offset += size;
    return { name, tensor };
  });
  if (offset !== values.length)
    throw new InputError(`${found}/${state.optimizer.file}: expected ${offset} float32 values, got ${values.length}`);
  return { policy, state, optimizerWeights };
}
