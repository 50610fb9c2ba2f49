/**
 * Behaviour-cloning datasets from episode files: observations and action labels of complete
 * episodes, split into train / validation by episode (never by step: steps of one episode are
 * strongly correlated, a step-level split would flatter the validation loss).
 *
 * Label per step: `expertAction` when the step has one (DART-style collection: the executed action
 * was the expert's plus noise, the clean expert action is the label), else `action` (as sent).
 *
 * Flagged episodes (episodes/flags.ts: observations outside the contract's range, or a partial
 * recording) are left out unless `includeFlagged`.
 */
import { contractMismatch, totalSize, bounds, type Contract } from '../../sim/contract.js';
import type { Json } from '../../sim/env.js';
import { Rng } from '../../sim/rng.js';
import { InputError } from '../../errors.js';
import { EpisodeFileError } from '../../episodes/errors.js';
import { readEpisodes } from '../../episodes/reader.js';
import type { Episode, EpisodeStep } from '../../episodes/types.js';
import { episodeFlags } from '../../episodes/flags.js';
import { Normalizer } from '../models/normalizer.js';
import {
  compensateEpisode,
  DelayCompensator,
  NO_DELAY_COMPENSATION,
  type DelayCompensation,
} from '../../sim/delay-compensator.js';

/** Row-major observation / label matrices. `act` is empty for unlabelled data. */
export interface Transitions {
  obs: Float32Array;
  act: Float32Array;
  /** Rows. */
  n: number;
  obsSize: number;
  actSize: number;
}

export interface LabelCounts {
  /** Steps labelled with the clean `expertAction`. */
  expert: number;
  /** Steps labelled with the action as sent. */
  action: number;
}

export interface Dataset {
  contract: Contract;
  /** The scenario the episodes were recorded in (full spec from the first episode), if recorded. */
  scenarioSpec: Json | null;
  scenarioName: string;
  train: Transitions;
  val: Transitions;
  trainEpisodes: number;
  valEpisodes: number;
  /** Episodes left out because they have no end record (the writer was killed mid-episode). */
  incompleteEpisodes: number;
  /** Complete episodes that are flagged, and whether they were left out. */
  flagged: FlaggedEpisodes;
  labels: LabelCounts;
  /** Where the episodes came from. */
  source: string;
  /**
   * The delay compensation the observations carry, for the policy trained on them: `compensate`
   * when given; for sim episodes recorded with `compensateDelay` (each at its own drawn delays) the
   * mean total delay as the prior a policy starts from on a robot of unknown delay; else none.
   */
  delayCompensation: DelayCompensation;
}

export interface FlaggedEpisodes {
  /** Complete episodes flagged (an episode may count under both reasons below). */
  count: number;
  /** Of the complete episodes. */
  of: number;
  obsOutOfRange: number;
  partial: number;
  /** Left out (the default), or used (`includeFlagged`). */
  skipped: boolean;
}

export interface DatasetOptions {
  /** Fraction of episodes held out for validation (default 0.1; at least one when > 0 and there are ≥ 2 episodes). */
  valFraction?: number;
  /** Seed of the episode shuffle before the split (default 0). */
  seed?: number;
  /** Refuse episodes recorded under another contract (names the first differing component). */
  contract?: Contract;
  /** What `contract` belongs to, for the error message (default "the scenario"). */
  contractOf?: string;
  /** Read labels (default true); false gives observations only (unlabelled target data). */
  labels?: boolean;
  /** Use at most this many episodes (the first ones after the shuffle). */
  maxEpisodes?: number;
  /** Use flagged episodes too (observations outside the contract's range, partial recordings). Default false. */
  includeFlagged?: boolean;
  /**
   * Observations as a policy compensating this control-loop delay sees them (predicted from each
   * recorded observation and the actions sent before it; e.g. real episodes with the robot's
   * estimated delay). A function gets the episodes in use (after `maxEpisodes`), e.g. to estimate
   * the delay from them (`estimatedCompensation`). Default: as recorded.
   */
  compensate?: DelayCompensation | ((episodes: Episode[]) => DelayCompensation);
}

/** The label of one step: the clean expert action when recorded, else the action as sent. */
export function stepLabel(step: EpisodeStep): Float32Array {
  return step.expertAction ?? step.action;
}

/** Seeded episode-level split: `round(valFraction · n)` episodes (≥ 1 if valFraction > 0 and n ≥ 2) go to validation. */
export function splitEpisodes<T>(items: readonly T[], valFraction: number, seed: number): { train: T[]; val: T[] } {
  if (!(valFraction >= 0 && valFraction < 1))
    throw new InputError(`--val-fraction: expected a number in [0, 1), got ${valFraction}`);
  const order = items.map((_, i) => i);
  const rng = Rng.derive(seed, 'episode-split');
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  let nVal = Math.round(valFraction * items.length);
  if (valFraction > 0 && items.length >= 2) nVal = Math.max(1, nVal);
  nVal = Math.min(nVal, items.length - 1);
  const val = order.slice(0, Math.max(0, nVal)).sort((a, b) => a - b);
  const isVal = new Set(val);
  return {
    train: order
      .filter((i) => !isVal.has(i))
      .sort((a, b) => a - b)
      .map((i) => items[i]),
    val: val.map((i) => items[i]),
  };
}

/** Stack the steps of `episodes` into matrices; `labels: false` leaves `act` empty. */
export function toTransitions(
  episodes: readonly Episode[],
  obsSize: number,
  actSize: number,
  labels = true,
  counts?: LabelCounts,
): Transitions {
  const n = episodes.reduce((k, e) => k + e.steps.length, 0);
  const obs = new Float32Array(n * obsSize);
  const act = new Float32Array(labels ? n * actSize : 0);
  let r = 0;
  for (const e of episodes) {
    for (const s of e.steps) {
      if (s.obs.length !== obsSize)
        throw new InputError(
          `${e.file}: episode ${e.start.index} step ${s.step}: expected ${obsSize} observation values, got ${s.obs.length}`,
        );
      obs.set(s.obs, r * obsSize);
      if (labels) {
        const y = stepLabel(s);
        if (y.length !== actSize)
          throw new InputError(
            `${e.file}: episode ${e.start.index} step ${s.step}: expected ${actSize} action values, got ${y.length}`,
          );
        act.set(y, r * actSize);
        if (counts) {
          if (s.expertAction) counts.expert++;
          else counts.action++;
        }
      }
      r++;
    }
  }
  return { obs, act, n, obsSize, actSize };
}

/**
 * Complete episodes of `source` (file or directory), all under one contract; flagged ones left out
 * unless `includeFlagged`.
 */
export async function loadCompleteEpisodes(
  source: string,
  opts: Pick<DatasetOptions, 'contract' | 'contractOf' | 'includeFlagged'> = {},
): Promise<{ episodes: Episode[]; incomplete: number; flagged: FlaggedEpisodes }> {
  let all: Episode[];
  try {
    all = (await readEpisodes(source)).episodes;
  } catch (e) {
    if (e instanceof EpisodeFileError) throw new InputError(e.message);
    throw e;
  }
  const complete = all.filter((e) => e.end !== undefined);
  const flagged: FlaggedEpisodes = {
    count: 0,
    of: complete.length,
    obsOutOfRange: 0,
    partial: 0,
    skipped: opts.includeFlagged !== true,
  };
  const episodes = complete.filter((e) => {
    const f = episodeFlags(e);
    if (f.obsOutOfRange) flagged.obsOutOfRange++;
    if (f.partial) flagged.partial++;
    if (!f.obsOutOfRange && !f.partial) return true;
    flagged.count++;
    return !flagged.skipped;
  });
  if (episodes.length === 0) {
    const got =
      flagged.skipped && flagged.count > 0
        ? `${flagged.count} flagged ones only (${flagReasons(flagged)}; --include-flagged to use them)`
        : all.length
          ? `${all.length} incomplete ones only`
          : 'none';
    throw new InputError(`${source}: expected complete episodes (.mcap), got ${got}`);
  }
  const contract = opts.contract ?? episodes[0].start.contract;
  for (const e of episodes) {
    const m = contractMismatch(contract, e.start.contract);
    if (m) {
      const what = opts.contract ? (opts.contractOf ?? 'the scenario') : `the first episode (${episodes[0].file})`;
      throw new InputError(
        `${e.file}: episode ${e.start.index} was recorded under a contract that does not match ${what}: ${m}`,
      );
    }
  }
  return { episodes, incomplete: all.length - complete.length, flagged };
}

function flagReasons(f: FlaggedEpisodes): string {
  const why = [
    f.obsOutOfRange ? `obs outside the contract's range in ${f.obsOutOfRange}` : '',
    f.partial ? `partial ${f.partial}` : '',
  ];
  return why.filter(Boolean).join(', ');
}

/**
 * The line telling that flagged episodes were left out of `source`, or null when none were, e.g.
 * `runs/served: skipped 3 flagged episode(s) of 40 (obs outside the contract's range in 2, partial 1); --include-flagged to use them`.
 */
export function skippedFlaggedLine(source: string, f: FlaggedEpisodes): string | null {
  if (!f.skipped || f.count === 0) return null;
  return `${source}: skipped ${f.count} flagged episode(s) of ${f.of} (${flagReasons(f)}); --include-flagged to use them`;
}

/** Read episodes and build the train / validation split. */
export async function loadDataset(source: string, opts: DatasetOptions = {}): Promise<Dataset> {
  const { episodes: complete, incomplete, flagged } = await loadCompleteEpisodes(source, opts);
  const contract = opts.contract ?? complete[0].start.contract;
  const obsSize = totalSize(contract.obs);
  const actSize = totalSize(contract.action);
  const labels = opts.labels ?? true;
  let { train, val } = splitEpisodes(complete, opts.valFraction ?? 0.1, opts.seed ?? 0);
  if (opts.maxEpisodes !== undefined && opts.maxEpisodes < complete.length) {
    // Keep the split's proportions: cut both sides.
    const keepVal = Math.round((val.length * opts.maxEpisodes) / complete.length);
    val = val.slice(0, keepVal);
    train = train.slice(0, opts.maxEpisodes - keepVal);
  }
  const counts: LabelCounts = { expert: 0, action: 0 };
  const first = complete[0].start;
  if (opts.compensate) {
    const done = complete.find((e) => e.start.randomization.delay_compensation !== undefined);
    if (done)
      throw new InputError(
        `${done.file}: episode ${done.start.index}: its observations are already predicted (recorded with collect --compensate-delay); expected episodes as the robot observed them`,
      );
  }
  const comp = typeof opts.compensate === 'function' ? opts.compensate([...train, ...val]) : opts.compensate;
  if (comp && comp.steps > 0) [train, val] = [compensated(train, comp), compensated(val, comp)];
  return {
    contract,
    scenarioSpec: first.scenarioSpec ?? null,
    scenarioName: first.scenario,
    train: toTransitions(train, obsSize, actSize, labels, counts),
    val: toTransitions(val, obsSize, actSize, labels, counts),
    trainEpisodes: train.length,
    valEpisodes: val.length,
    incompleteEpisodes: incomplete,
    flagged,
    labels: counts,
    source,
    delayCompensation: comp ?? recordedCompensation(complete),
  };
}

/** The episodes with every observation replaced by what a policy compensating `cfg` sees (from the actions as sent). */
function compensated(episodes: Episode[], cfg: DelayCompensation): Episode[] {
  return episodes.map((e) => {
    const spec = e.start.scenarioSpec as { safe_action?: number[] } | undefined;
    const comp = new DelayCompensator(
      e.start.contract,
      e.start.controlHz,
      spec?.safe_action ?? new Array(totalSize(e.start.contract.action)).fill(0),
      cfg,
    );
    const obsSize = comp.obsSize;
    const n = e.steps.length;
    const obs = new Float32Array(n * obsSize);
    const act = new Float32Array(n * comp.actSize);
    e.steps.forEach((s, t) => {
      obs.set(s.obs, t * obsSize);
      act.set(s.action, t * comp.actSize);
    });
    const out = compensateEpisode(obs, act, n, comp);
    return { ...e, steps: e.steps.map((s, t) => ({ ...s, obs: out.subarray(t * obsSize, (t + 1) * obsSize) })) };
  });
}

/** The prior of sim episodes recorded with delay compensation (make-env `compensateDelay`): their mean total delay. */
function recordedCompensation(episodes: Episode[]): DelayCompensation {
  const recs = episodes.map(
    (e) =>
      e.start.randomization.delay_compensation as
        | { action_latency: number; obs_delay: number; tau: number }
        | undefined,
  );
  if (recs.every((r) => r === undefined)) return NO_DELAY_COMPENSATION;
  const plain = episodes.find((_, i) => recs[i] === undefined);
  if (plain)
    throw new InputError(
      `${plain.file}: episode ${plain.start.index}: expected episodes all recorded with delay compensation (collect --compensate-delay) or all without, got a mix`,
    );
  const mean = recs.reduce((s, r) => s + r!.action_latency + r!.obs_delay, 0) / recs.length;
  return { steps: Math.round(mean), tau: recs[0]!.tau };
}

/**
 * A normaliser fitted on `obs`, with every standard deviation floored at 1e-3 of the component's
 * contract range: a sensor that never moved in the data must not blow tiny changes up ×10⁴.
 */
export function fitNormalizer(data: Transitions, contract: Contract): Normalizer {
  const norm = new Normalizer(data.obsSize);
  norm.update(data.obs, data.n);
  const { low, high } = bounds(contract.obs);
  for (let j = 0; j < data.obsSize; j++) {
    const floor = (1e-3 * (high[j] - low[j])) ** 2;
    if (!(norm.var[j] >= floor)) norm.var[j] = floor;
  }
  return norm;
}

/** The rows of every part, in order (all parts of the same sizes). */
export function concatTransitions(...parts: Transitions[]): Transitions {
  const [first] = parts;
  if (parts.some((p) => p.obsSize !== first.obsSize || p.actSize !== first.actSize))
    throw new Error('dataset: cannot concatenate transitions of different sizes');
  const obs = new Float32Array(parts.reduce((n, p) => n + p.obs.length, 0));
  const act = new Float32Array(parts.reduce((n, p) => n + p.act.length, 0));
  let o = 0;
  let a = 0;
  for (const p of parts) {
    obs.set(p.obs, o);
    act.set(p.act, a);
    o += p.obs.length;
    a += p.act.length;
  }
  return { obs, act, n: parts.reduce((n, p) => n + p.n, 0), obsSize: first.obsSize, actSize: first.actSize };
}
