/**
 * DAgger-style relabelling (Ross et al. 2011): let the cloned policy drive, ask the scripted
 * expert what it would have done in every state the policy visited, add those (obs, expert action)
 * rows to the training data and train again. Behaviour cloning alone only sees states the expert
 * visits; a clone that drifts (say, heads for an obstacle the expert would have turned away from
 * earlier) meets states with no labels nearby. The experts act from privileged state only
 * (TaskEnv.privileged(): navigate's map and pose, grasp's cube pose), so any state can be labelled.
 *
 * `trainBcDagger` = trainBC, then `rounds` × (relabelled episodes with the current policy → continue
 * training on demonstrations + all relabelled rows). A `valFraction` of every round's episodes joins
 * the validation set, so early stopping watches the states the policy itself reaches, not only the
 * expert's (on expert states alone the validation loss rises as soon as DAgger rows come in). Round r's episodes use seeds
 * `seed + (r − 1) · episodes + i` and are written (with `expertAction` labels, `policyId` of the
 * driving policy) to `<dataDir>/dagger-round-<r>.mcap` when `dataDir` is given, which is also what
 * lets a killed run resume after round 0 (rounds already collected are read back, not re-run).
 */
import { simEngine } from '../../sim/training-engine.js';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Scenario } from '../../sim/scenario-schema.js';
import { makeEnv, taskEnvOf } from '../../sim/make-env.js';
import { loadRapier } from '../../sim/rapier.js';
import { totalSize } from '../../sim/contract.js';
import { rollout, type Actor, type Recorder } from '../../rollout/rollout.js';
import { expertActor } from '../../rollout/expert-actor.js';
import { EpisodeWriter } from '../../episodes/writer.js';
import {
  concatTransitions,
  loadCompleteEpisodes,
  splitEpisodes,
  toTransitions,
  type Transitions,
} from '../data/dataset.js';
import { trainBC, type BcCheckpointing, type BcMetrics, type BcOptions, type BcProgress } from './bc.js';
import type { GaussianMlpPolicy } from '../models/gaussian-policy.js';
import type { Policy } from '../models/policy.js';
import { SEED_BANDS } from '../../seeds.js';

export interface RelabelOptions {
  scenario: Scenario;
  policy: Policy;
  episodes: number;
  /** Episode i uses seed + i. */
  seed: number;
  randomize?: boolean;
  /** Observations predicted for the present, as in the demonstrations (make-env `compensateDelay`). */
  compensateDelay?: boolean;
  /** Record the episodes (steps carry `expertAction`) into this MCAP file. */
  record?: string;
}

export interface RelabelResult {
  /** One entry per episode, in seed order. */
  episodes: Transitions[];
  /** Success rate of the driving policy in these episodes. */
  successRate: number;
}

/** Run `policy` (deterministic) for N episodes and label every visited state with the expert's action. */
async function relabelWithExpert(opts: RelabelOptions): Promise<RelabelResult> {
  const sc = opts.scenario;
  const R = await loadRapier();
  const randomize = opts.randomize ?? false;
  const env = makeEnv(await simEngine(R, sc, randomize), sc, {
    randomize,
    compensateDelay: opts.compensateDelay ?? false,
  });
  const task = taskEnvOf(env);
  task.onWarn = () => {};
  const expert = expertActor(sc);
  const obsSize = totalSize(sc.contract.obs);
  const actSize = totalSize(sc.contract.action);
  let obs: Float32Array[] = [];
  let labels: Float32Array[] = [];
  let label: Float32Array = new Float32Array(actSize);
  const actor: Actor = {
    id: opts.policy.id,
    reset: () => expert.reset(),
    act(o, t) {
      label = expert.act(o, t);
      obs.push(Float32Array.from(o));
      labels.push(label);
      return opts.policy.act(o, { deterministic: true });
    },
  };
  const tmp = opts.record ? `${opts.record}.tmp` : null;
  const writer = tmp ? await EpisodeWriter.open(tmp, { sceneEvery: 0 }) : null;
  // The writer gets each step with the label the actor just computed for it.
  const recorder: Recorder | undefined = writer
    ? {
        startEpisode: (...a) => writer.startEpisode(...a),
        writeStep: (step, scene) => writer.writeStep({ ...step, expertAction: label }, scene),
        endEpisode: (end) => writer.endEpisode(end),
      }
    : undefined;
  let successes = 0;
  const episodes: Transitions[] = [];
  try {
    for (let i = 0; i < opts.episodes; i++) {
      obs = [];
      labels = [];
      const r = await rollout(env, task, actor, { seed: opts.seed + i, index: i, recorder });
      if (r.success) successes++;
      const n = obs.length;
      const t: Transitions = {
        obs: new Float32Array(n * obsSize),
        act: new Float32Array(n * actSize),
        n,
        obsSize,
        actSize,
      };
      for (let k = 0; k < n; k++) {
        t.obs.set(obs[k], k * obsSize);
        t.act.set(labels[k], k * actSize);
      }
      episodes.push(t);
    }
  } finally {
    await writer?.close();
    env.close();
  }
  if (tmp && opts.record) renameSync(tmp, opts.record);
  return { episodes, successRate: successes / Math.max(1, opts.episodes) };
}

export interface DaggerOptions extends Omit<BcOptions, 'checkpoint' | 'onProgress'> {
  scenario: Scenario;
  /** Relabelling rounds after the initial behaviour cloning (default 0: plain BC). */
  rounds?: number;
  /** Policy-driven episodes per round (default 50). */
  episodesPerRound?: number;
  /** First seed of the relabelled episodes (default 2,000,000: away from demonstration and evaluation seeds). */
  daggerSeed?: number;
  randomize?: boolean;
  /** Relabelled episodes observe the present predicted from their drawn delays, like the demonstrations (make-env `compensateDelay`). */
  compensateDelay?: boolean;
  /** Fraction of each round's episodes added to the validation set (default 0.1), seeded like the demonstrations' split. */
  valFraction?: number;
  /** Where relabelled episodes are written (`dagger-round-<r>.mcap`). */
  dataDir?: string;
  /** Round 0 checkpoints in `dir`, round r in `dir/dagger-<r>`. */
  checkpoint?: BcCheckpointing;
  onProgress?: (p: BcProgress & { round: number }) => void | Promise<void>;
  onRound?: (r: { round: number; episodes: number; rows: number; successRate: number }) => void | Promise<void>;
}

export interface DaggerRound {
  round: number;
  /** Success of the policy that drove this round's episodes (before training on them). */
  rolloutSuccessRate: number | null;
  /** Training and validation rows this round trained on. */
  rows: number;
  valRows: number;
  metrics: BcMetrics;
}

export const DAGGER_DEFAULTS = { episodesPerRound: 50, daggerSeed: SEED_BANDS.dagger };

const roundFile = (dir: string, r: number) => join(dir, `dagger-round-${r}.mcap`);
const roundCheckpoint = (c: BcCheckpointing, r: number): BcCheckpointing =>
  r === 0 ? c : { ...c, dir: join(c.dir, `dagger-${r}`) };

/** Behaviour cloning followed by DAgger rounds; resumable with `checkpoint.resume` (rounds > 0 need `dataDir`). */
export async function trainBcDagger(
  opts: DaggerOptions,
): Promise<{ policy: GaussianMlpPolicy; metrics: BcMetrics; rounds: DaggerRound[] }> {
  const rounds = opts.rounds ?? 0;
  const perRound = opts.episodesPerRound ?? DAGGER_DEFAULTS.episodesPerRound;
  const seed0 = opts.daggerSeed ?? DAGGER_DEFAULTS.daggerSeed;
  const ck = opts.checkpoint;
  // Where to resume: the last round with a checkpoint (later rounds need their relabelled data on disk).
  let start = 0;
  if (ck?.resume && opts.dataDir) {
    for (let r = rounds; r > 0; r--) {
      const haveData = Array.from({ length: r }, (_, k) => existsSync(roundFile(opts.dataDir!, k + 1))).every(Boolean);
      if (haveData && existsSync(join(roundCheckpoint(ck, r).dir, 'latest', 'policy.json'))) {
        start = r;
        break;
      }
    }
  }
  let { train, val } = opts.data;
  const add = (episodes: Transitions[], r: number) => {
    const split = splitEpisodes(episodes, opts.valFraction ?? 0.1, (opts.seed ?? 0) + r);
    train = concatTransitions(train, ...split.train);
    val = concatTransitions(val, ...split.val);
  };
  for (let r = 1; r <= start; r++) {
    const { episodes } = await loadCompleteEpisodes(roundFile(opts.dataDir!, r), { contract: opts.contract });
    add(
      episodes.map((e) => toTransitions([e], train.obsSize, train.actSize)),
      r,
    );
  }
  const done: DaggerRound[] = [];
  let policy: GaussianMlpPolicy | undefined = opts.init;
  let rolloutSuccessRate: number | null = null;
  for (let r = start; ; r++) {
    const res = await trainBC({
      ...opts,
      data: { train, val },
      init: policy,
      // Later rounds continue from the previous round's weights and normaliser.
      refitNormalizer: r === 0 ? opts.refitNormalizer : false,
      checkpoint: ck ? { ...roundCheckpoint(ck, r), resume: ck.resume && r === start } : undefined,
      onProgress: opts.onProgress ? (p) => opts.onProgress!({ ...p, round: r }) : undefined,
    });
    policy = res.policy;
    done.push({ round: r, rolloutSuccessRate, rows: train.n, valRows: val.n, metrics: res.metrics });
    if (r >= rounds) return { policy, metrics: res.metrics, rounds: done };
    const file = opts.dataDir ? roundFile(opts.dataDir, r + 1) : undefined;
    if (file) rmSync(file, { force: true });
    const rel = await relabelWithExpert({
      scenario: opts.scenario,
      policy,
      episodes: perRound,
      seed: seed0 + r * perRound,
      randomize: opts.randomize,
      compensateDelay: opts.compensateDelay,
      record: file,
    });
    rolloutSuccessRate = rel.successRate;
    await opts.onRound?.({
      round: r + 1,
      episodes: rel.episodes.length,
      rows: rel.episodes.reduce((n, t) => n + t.n, 0),
      successRate: rel.successRate,
    });
    add(rel.episodes, r + 1);
  }
}
