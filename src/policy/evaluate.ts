/**
 * Evaluating a policy: N seeded episodes through `rollout()` with the policy's deterministic action
 * (tanh of the mean), in nominal sim, randomized sim (`randomize`) or an emulated reality profile
 * (`reality`). Episode i uses seed `seed + i` whatever the worker count, so reports are reproducible
 * and two policies evaluated with the same seed face the same start states.
 *
 * With `workers > 1` a GaussianMlpPolicy's weights go to worker threads (Float32 forward pass: the
 * same arithmetic as `policy.act`, identical results). The default seed (1,000,000) keeps evaluation
 * episodes away from the seeds `collect` uses for demonstrations (0, 1, 2, ...).
 *
 * This module is also the entry of its own worker threads (see the end of the file).
 */
import { simEngine } from '../sim/training-engine.js';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Contract } from '../sim/contract.js';
import type { Env } from '../sim/env.js';
import { loadRapier, type Rapier } from '../sim/rapier.js';
import type { Scenario } from '../sim/scenario-schema.js';
import { makeEnv, taskEnvOf } from '../sim/make-env.js';
import { loadReality, makeRealEnv } from '../sim/reality.js';
import { rollout, type Actor, type RolloutResult } from '../rollout/rollout.js';
import { EpisodeWriter } from '../episodes/writer.js';
import { wilson, type SuccessStats } from '../episodes/summary.js';
import { InputError } from '../errors.js';
import { startWorker } from '../worker-url.js';
import { FastMlp } from './models/fast-mlp.js';
import { Normalizer, type NormalizerState } from './models/normalizer.js';
import { denseWeights, type Activation, type DenseWeights } from './models/mlp.js';
import type { Policy } from './models/policy.js';
import type { GaussianMlpPolicy } from './models/gaussian-policy.js';
import { compensatorFor, type DelayCompensation } from '../sim/delay-compensator.js';
import { withDelayCompensation } from '../rollout/delay-compensated-actor.js';
import { SEED_BANDS } from '../seeds.js';

export const DEFAULT_EVAL_SEED = SEED_BANDS.evaluation;

export interface EvaluateOptions {
  /** Episodes to run (default 50). */
  episodes?: number;
  /** Apply the scenario's domain randomization (default false: nominal sim). */
  randomize?: boolean;
  /** A reality profile file (scenarios/reality/*.yaml): evaluate in that emulated real world. */
  reality?: string;
  /** Episode i uses seed + i (default DEFAULT_EVAL_SEED). */
  seed?: number;
  /** Write the evaluated episodes as MCAP files into this directory (policyId = policy.id). */
  record?: string;
  /** Override the scenario's episode length (steps). */
  maxSteps?: number;
  /** Worker threads (default 1; other policies than GaussianMlpPolicy always run in this thread). */
  workers?: number;
  /** After every episode (in completion order). */
  onEpisode?: (e: EpisodeOutcome) => void;
}

export interface EpisodeOutcome {
  index: number;
  seed: number;
  success: boolean;
  return: number;
  length: number;
}

export interface EvaluationReport extends SuccessStats {
  scenario: string;
  policyId: string;
  /** Episodes that ended by the time limit rather than the task. */
  timeouts: number;
  seed: number;
  randomized: boolean;
  reality: string | null;
  /** Seeds of the failed episodes (to replay them). */
  failedSeeds: number[];
  /** Recorded episode files (with `record`). */
  files: string[];
  seconds: number;
}

/** A policy's deterministic forward pass as plain data (for worker threads). */
export interface PortablePolicy {
  id: string;
  contract: Contract;
  activation: Activation;
  layers: DenseWeights[];
  normalizer: NormalizerState;
  delayCompensation?: DelayCompensation;
}

/** The env evaluation runs in: nominal or randomized sim, or an emulated reality profile. */
/** The success keys every report carries (docs/design.md, "Reports"); null where nothing was evaluated. */
export interface SuccessFields {
  episodes: number;
  successRate: number | null;
  successCi95: [number, number] | null;
  meanReturn: number | null;
  meanLength: number | null;
}

export function successFields(e: EvaluationReport | null | undefined): SuccessFields {
  return {
    episodes: e?.episodes ?? 0,
    successRate: e?.successRate ?? null,
    successCi95: e?.successCi95 ?? null,
    meanReturn: e?.meanReturn ?? null,
    meanLength: e?.meanLength ?? null,
  };
}

async function makeEvalEnv(
  R: Rapier,
  sc: Scenario,
  opts: { randomize?: boolean; reality?: string; maxSteps?: number } = {},
): Promise<Env> {
  if (opts.reality)
    return makeRealEnv(R, sc, loadReality(opts.reality), { file: opts.reality, maxSteps: opts.maxSteps });
  const randomize = opts.randomize ?? false;
  return makeEnv(await simEngine(R, sc, randomize), sc, { randomize, maxSteps: opts.maxSteps });
}

/** A Policy as a rollout Actor, always acting deterministically. */
export function policyActor(policy: Pick<Policy, 'id' | 'act'>): Actor {
  return { id: policy.id, reset: () => {}, act: (obs) => policy.act(obs, { deterministic: true }) };
}

/** The deterministic forward pass of a GaussianMlpPolicy as data, or null for other policies. */
function portablePolicy(policy: Policy): PortablePolicy | null {
  const p = policy as Partial<GaussianMlpPolicy>;
  if (!p.actor || !p.arch || !p.normalizer) return null;
  return {
    id: policy.id,
    contract: policy.contract,
    activation: p.arch.activation,
    layers: denseWeights(p.actor),
    normalizer: p.normalizer.toJSON(),
    delayCompensation: policy.delayCompensation,
  };
}

function portableActor(p: PortablePolicy): Actor {
  const mlp = new FastMlp(p.layers, p.activation);
  const norm = Normalizer.fromJSON(p.normalizer);
  const buf = new Float32Array(norm.size);
  return {
    id: p.id,
    reset: () => {},
    act: (obs) => Float32Array.from(mlp.forward(norm.apply(obs, buf)), Math.tanh),
  };
}

interface Shard {
  scenario: Scenario;
  indices: number[];
  seed: number;
  randomize: boolean;
  reality: string | null;
  maxSteps: number | null;
  file: string | null;
}

/** Run a shard of episodes in this thread (with the policy's delay compensation, if it has one). */
async function runShard(
  policyActor: Actor,
  delay: DelayCompensation | undefined,
  s: Shard,
  R: Rapier,
  onEpisode: (e: EpisodeOutcome, r: RolloutResult) => void,
): Promise<void> {
  const env = await makeEvalEnv(R, s.scenario, {
    randomize: s.randomize,
    reality: s.reality ?? undefined,
    maxSteps: s.maxSteps ?? undefined,
  });
  const task = taskEnvOf(env);
  task.onWarn = () => {};
  const writer = s.file ? await EpisodeWriter.open(s.file, { sceneEvery: 1 }) : null;
  const actor = withDelayCompensation(policyActor, compensatorFor(delay, s.scenario));
  try {
    for (const index of s.indices) {
      const seed = s.seed + index;
      const r = await rollout(env, task, actor, { seed, index, recorder: writer ?? undefined });
      onEpisode({ index, seed, success: r.success, return: r.return, length: r.length }, r);
    }
  } finally {
    await writer?.close();
    env.close();
  }
}

type WorkerMessage =
  | { type: 'episode'; e: EpisodeOutcome; truncated: boolean }
  | { type: 'done' }
  | { type: 'error'; message: string; input: boolean };
const WORKER_KIND = 'sim2real-evaluate';

/** Evaluate `policy` in `scenario`. The policy's contract must match the scenario's (checked by the caller's loader). */
export async function evaluate(
  policy: Policy,
  scenario: Scenario,
  opts: EvaluateOptions = {},
): Promise<EvaluationReport> {
  const t0 = performance.now();
  const episodes = opts.episodes ?? 50;
  if (!Number.isInteger(episodes) || episodes < 1)
    throw new InputError(`--episodes: expected a positive integer, got ${episodes}`);
  const seed = opts.seed ?? DEFAULT_EVAL_SEED;
  const portable = (opts.workers ?? 1) > 1 ? portablePolicy(policy) : null;
  const workers = portable ? Math.max(1, Math.min(opts.workers ?? 1, episodes)) : 1;
  if (opts.reality) loadReality(opts.reality); // bad files fail here, before any thread starts
  const files: string[] = [];
  if (opts.record) {
    mkdirSync(opts.record, { recursive: true });
    for (let w = 0; w < workers; w++) {
      const f = join(opts.record, `${scenario.name}-eval-seed${seed}-w${w}.mcap`);
      if (existsSync(f))
        throw new InputError(`${f}: expected a new file, got an existing one (use another --record dir or --seed)`);
      files.push(f);
    }
  }
  const shards: Shard[] = Array.from({ length: workers }, (_, w) => ({
    scenario,
    indices: Array.from({ length: episodes }, (_, i) => i).filter((i) => i % workers === w),
    seed,
    randomize: opts.randomize ?? false,
    reality: opts.reality ?? null,
    maxSteps: opts.maxSteps ?? null,
    file: files[w] ?? null,
  }));
  const outcomes: EpisodeOutcome[] = [];
  let timeouts = 0;
  const add = (e: EpisodeOutcome, truncated: boolean) => {
    outcomes.push(e);
    if (truncated) timeouts++;
    opts.onEpisode?.(e);
  };
  if (workers === 1) {
    await runShard(policyActor(policy), policy.delayCompensation, shards[0], await loadRapier(), (e, r) =>
      add(e, r.truncated),
    );
  } else {
    const threads = shards.map((shard) =>
      startWorker('evaluate', import.meta.url, { workerData: { kind: WORKER_KIND, shard, policy: portable } }),
    );
    try {
      await Promise.all(
        threads.map(
          (t) =>
            new Promise<void>((resolve, reject) => {
              t.on('message', (m: WorkerMessage) => {
                if (m.type === 'episode') add(m.e, m.truncated);
                else if (m.type === 'done') resolve();
                else reject(m.input ? new InputError(m.message) : new Error(`evaluate worker: ${m.message}`));
              });
              t.on('error', reject);
              t.on('exit', (code) =>
                code === 0 ? resolve() : reject(new Error(`evaluate worker exited with code ${code}`)),
              );
            }),
        ),
      );
    } finally {
      await Promise.all(threads.map((t) => t.terminate()));
    }
  }
  outcomes.sort((a, b) => a.index - b.index);
  const n = outcomes.length;
  const successes = outcomes.filter((e) => e.success).length;
  return {
    scenario: scenario.name,
    policyId: policy.id,
    episodes: n,
    successes,
    successRate: n ? successes / n : NaN,
    successCi95: wilson(successes, n),
    meanReturn: outcomes.reduce((s, e) => s + e.return, 0) / Math.max(1, n),
    meanLength: outcomes.reduce((s, e) => s + e.length, 0) / Math.max(1, n),
    timeouts,
    seed,
    randomized: opts.randomize ?? false,
    reality: opts.reality ?? null,
    failedSeeds: outcomes.filter((e) => !e.success).map((e) => e.seed),
    files,
    seconds: (performance.now() - t0) / 1000,
  };
}

// Worker-thread entry: `evaluate()` starts this module with workerData.kind === WORKER_KIND.
if (!isMainThread && (workerData as { kind?: string } | null)?.kind === WORKER_KIND) {
  const { shard, policy } = workerData as { shard: Shard; policy: PortablePolicy };
  const post = (m: WorkerMessage) => parentPort!.postMessage(m);
  try {
    await runShard(portableActor(policy), policy.delayCompensation, shard, await loadRapier(), (e, r) =>
      post({ type: 'episode', e, truncated: r.truncated }),
    );
    post({ type: 'done' });
  } catch (e) {
    post({ type: 'error', message: (e as Error).message, input: e instanceof InputError });
  }
}
