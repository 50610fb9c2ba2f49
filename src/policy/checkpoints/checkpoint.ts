/**
 * Checkpoints (docs/design.md, "Checkpoints"): a directory with the actor (and critic) as tfjs `model.json` +
 * `weights.bin`, and `policy.json` (contract, normaliser statistics, scenario, training config,
 * metrics, code version). Written into a temporary sibling and renamed, so a checkpoint on disk is
 * never half-written; loading validates every file (policy-file-check.ts) before building anything,
 * checks the contract and names the first differing component.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { contractMismatch, totalSize, type Contract } from '../../sim/contract.js';
import type { Serialisable } from '../../sim/env.js';
import { InputError } from '../../errors.js';
import { Normalizer, type NormalizerState } from '../models/normalizer.js';
import {
  CHECKPOINT_FORMAT,
  checkModelJson,
  checkNetwork,
  checkPolicyFile,
  checkWeightBytes,
} from './policy-file-check.js';
import {
  checkCompensable,
  checkDelayCompensation,
  NO_DELAY_COMPENSATION,
  type DelayCompensation,
} from '../../sim/delay-compensator.js';
import { GaussianMlpPolicy, type PolicyArchitecture } from '../models/gaussian-policy.js';
import { codeVersion } from './version.js';

export interface PolicyFile {
  format: typeof CHECKPOINT_FORMAT;
  id: string;
  createdAt: string;
  codeVersion: string;
  contract: Contract;
  /** The scenario the policy was trained on (full spec). */
  scenario: Serialisable;
  architecture: PolicyArchitecture;
  logStd: number[];
  normalizer: NormalizerState;
  /** Control-loop delay the policy compensates (absent in checkpoints written before it existed: none). */
  delayCompensation?: DelayCompensation;
  /** Training settings (algorithm, hyper-parameters, data). */
  training: Serialisable;
  /** Final metrics of the run that wrote it. */
  metrics: Serialisable;
}

interface ModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
  modelTopology: tf.io.ModelArtifacts['modelTopology'];
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

async function writeModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (art) => {
      const data = art.weightData;
      const bytes = Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : (data as ArrayBuffer);
      const json: ModelJson = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: null,
        modelTopology: art.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: art.weightSpecs ?? [] }],
      };
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
      writeFileSync(join(dir, 'weights.bin'), new Uint8Array(bytes));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(
      `${path}: expected ${what}, got ${code === 'ENOENT' ? 'nothing' : (e as Error).message.split('\n')[0]}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(`${path}: expected JSON, got ${(e as Error).message.split('\n')[0]}`);
  }
}

async function readModel(dir: string): Promise<{ model: tf.Sequential; modelPath: string; weightsPath: string }> {
  const modelPath = join(dir, 'model.json');
  const { json, weightsFile, bytes } = checkModelJson(readJson(modelPath, 'a tfjs model.json'), modelPath);
  const weightsPath = join(dir, weightsFile);
  if (!existsSync(weightsPath))
    throw new InputError(`${weightsPath}: expected the weights model.json lists (${bytes} bytes), got nothing`);
  const bin = readFileSync(weightsPath);
  checkWeightBytes(weightsPath, bytes, bin.byteLength);
  const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer;
  try {
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
        weightSpecs: json.weightsManifest[0].weights as tf.io.WeightsManifestEntry[],
        weightData,
      }),
    );
    return { model: model as tf.Sequential, modelPath, weightsPath };
  } catch (e) {
    throw new InputError(
      `${modelPath}: expected a tfjs layers model matching ${weightsFile}, got ${(e as Error).message.split('\n')[0]}`,
    );
  }
}

export interface SaveOptions {
  scenario: Serialisable;
  training: Serialisable;
  metrics: Serialisable;
}

/** Siblings a save leaves while it runs: `.<name>.tmp-<pid>` (being written) and `.<name>.old-<pid>` (moved aside). */
function saveLeftovers(dir: string, kind: 'tmp' | 'old'): { path: string; pid: number }[] {
  const prefix = `.${basename(dir)}.${kind}-`;
  let names: string[];
  try {
    names = readdirSync(dirname(dir));
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .map((n) => ({ path: join(dirname(dir), n), pid: Number(n.slice(prefix.length)) }));
}

function running(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Write `policy` to `dir` atomically (replacing an older checkpoint there). */
export async function saveCheckpoint(dir: string, policy: GaussianMlpPolicy, opts: SaveOptions): Promise<void> {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(dir)}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    await writeModel(policy.actor, tmp);
    if (policy.critic) await writeModel(policy.critic, join(tmp, 'critic'));
    const file: PolicyFile = {
      format: CHECKPOINT_FORMAT,
      id: policy.id,
      createdAt: new Date().toISOString(),
      codeVersion: codeVersion(),
      contract: policy.contract,
      scenario: opts.scenario,
      architecture: policy.arch,
      logStd: policy.logStdValues,
      normalizer: policy.normalizer.toJSON(),
      delayCompensation: policy.delayCompensation,
      training: opts.training,
      metrics: opts.metrics,
    };
    writeFileSync(join(tmp, 'policy.json'), JSON.stringify(file, null, 1));
  } catch (e) {
    // A failed save leaves the previous checkpoint as it was, and no temporary files.
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  // rename() cannot replace a non-empty directory: move the old one aside first. A crash between
  // the two renames leaves the old checkpoint as `.<name>.old-<pid>`, which loadCheckpoint reads.
  const old = join(parent, `.${basename(dir)}.old-${process.pid}`);
  rmSync(old, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
  // Leftovers of saves that died (their process is gone): the new checkpoint supersedes them.
  for (const l of [...saveLeftovers(dir, 'tmp'), ...saveLeftovers(dir, 'old')])
    if (!running(l.pid)) rmSync(l.path, { recursive: true, force: true });
}

/**
 * Where the checkpoint `dir` can be read from: `dir` itself, or, when a save died between moving
 * the old checkpoint aside and renaming the new one in, the old checkpoint it moved aside.
 */
function readableDir(dir: string): string {
  if (existsSync(dir)) return dir;
  const aside = saveLeftovers(dir, 'old')
    .filter((l) => existsSync(join(l.path, 'policy.json')))
    .sort((a, b) => statSync(b.path).mtimeMs - statSync(a.path).mtimeMs);
  return aside.length > 0 ? aside[0].path : dir;
}

export interface LoadedCheckpoint {
  policy: GaussianMlpPolicy;
  file: PolicyFile;
}

/** Read a checkpoint; with `expect`, refuse one whose contract differs, naming the component. */
export async function loadCheckpoint(
  requested: string,
  expect?: { contract: Contract; what: string },
): Promise<LoadedCheckpoint> {
  const dir = readableDir(requested);
  const path = join(dir, 'policy.json');
  if (!existsSync(path))
    throw new InputError(
      `${dir}: expected a policy checkpoint directory (with policy.json), got ${existsSync(dir) ? 'a directory without policy.json' : 'nothing'}`,
    );
  const file = checkPolicyFile<PolicyFile>(readJson(path, 'a policy.json'), path);
  if (expect) {
    const m = contractMismatch(expect.contract, file.contract);
    if (m) throw new InputError(`${dir}: the policy's contract does not match ${expect.what}: ${m}`);
  }
  let delayCompensation: DelayCompensation;
  try {
    delayCompensation = checkDelayCompensation(
      file.delayCompensation ?? NO_DELAY_COMPENSATION,
      `${path}:delayCompensation`,
    );
    try {
      checkCompensable(file.contract, delayCompensation);
    } catch (e) {
      throw new Error(`${path}:delayCompensation: ${(e as Error).message}`);
    }
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  const obsSize = totalSize(file.contract.obs);
  const actSize = totalSize(file.contract.action);
  const sizes = { policyPath: path, inputSize: obsSize, inputWhy: "the contract's obs size", arch: file.architecture };
  let actor: tf.Sequential | null = null;
  let critic: tf.Sequential | null = null;
  try {
    const a = await readModel(dir);
    actor = a.model;
    checkNetwork(actor, {
      ...sizes,
      modelPath: a.modelPath,
      weightsPath: a.weightsPath,
      outputSize: actSize,
      outputWhy: "the contract's action size",
    });
    if (file.architecture.critic && existsSync(join(dir, 'critic', 'model.json'))) {
      const c = await readModel(join(dir, 'critic'));
      critic = c.model;
      checkNetwork(critic, {
        ...sizes,
        modelPath: c.modelPath,
        weightsPath: c.weightsPath,
        outputSize: 1,
        outputWhy: 'one state value',
      });
    }
  } catch (e) {
    // A server refusing deployments must not leak a model per refusal.
    actor?.dispose();
    critic?.dispose();
    throw e instanceof InputError
      ? e
      : new InputError(`${dir}: expected tfjs model.json + weights.bin, got ${(e as Error).message.split('\n')[0]}`);
  }
  const policy = new GaussianMlpPolicy(file.id, file.contract, file.architecture, {
    actor,
    critic,
    logStd: file.logStd,
    normalizer: Normalizer.fromJSON(file.normalizer, obsSize),
  });
  policy.delayCompensation = delayCompensation;
  return { policy, file };
}
