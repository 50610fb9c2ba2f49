/**
 * What an episode file holds (docs/design.md, "Episodes"). These are the JSON payloads of the `/episode` and
 * `/step` channels, plus the in-memory shape the reader returns.
 *
 * Step convention: step `t` records the observation the action was chosen from (`obs` at time
 * `t / controlHz`), the action sent for it, what the robot applied, and the reward / termination
 * flags that action produced. The observation after the last step is not recorded.
 */
import type { Contract } from '../sim/contract.js';
import type { Json } from '../sim/env.js';
import type { PhysicsParams } from '../sim/physics-params.js';

export type { Json };

export type EpisodeSource = 'sim' | 'real';

/** `/episode` message at the start of an episode. */
export interface EpisodeStart {
  event: 'start';
  /** Episode index (unique within a file; the writer numbers 0, 1, ... unless told otherwise). */
  index: number;
  /** Scenario name. */
  scenario: string;
  /** Task kind (`grasp`, `navigate`, ...). */
  task: string;
  seed: number;
  source: EpisodeSource;
  /** Which policy acted: a checkpoint id, `expert:<task>`, `random`, ... */
  policyId: string;
  contract: Contract;
  /** Control steps per second. */
  controlHz: number;
  /** Physics the world was built with; absent for real robots (unknown). */
  physics?: PhysicsParams;
  /** Per-episode values sampled by wrappers (noise bias, latency, ...), keyed by wrapper. */
  randomization: Record<string, Json>;
  /** Task state beyond the Rapier snapshot (see TaskInstance.taskState). */
  taskState: Json;
  /** Wall-clock start, ISO 8601. */
  startedAt: string;
  /** The full scenario the episode ran (parsed scenario file), so replay needs nothing else. */
  scenarioSpec?: Json;
  /** The recording began mid-episode (a server restarted under the robot): steps before `fromStep` are missing. */
  partial?: PartialRecording;
}

export interface PartialRecording {
  fromStep: number;
}

/**
 * Observations outside the contract's range in a served episode. The server serves them (the robot
 * owns safety) but an episode with any is flagged: training skips it unless told otherwise.
 */
export interface ObsOutOfRange {
  /** Steps with at least one value out of range. */
  steps: number;
  /** Values out of range, over all steps. */
  values: number;
  /** The first one: step number, component name, element index within the component, value. */
  first?: { step: number; component: string; index: number; value: number };
}

/** `/episode` message at the end of an episode. */
export interface EpisodeEnd {
  event: 'end';
  index: number;
  success: boolean;
  /** Undiscounted sum of rewards. */
  return: number;
  /** Number of control steps. */
  length: number;
  terminated: boolean;
  truncated: boolean;
  /** Served episodes: observations outside the contract's range (present even when there were none). */
  obsOutOfRange?: ObsOutOfRange;
  /** Repeats the start record's `partial`, so the end record alone says the episode is not whole. */
  partial?: PartialRecording;
}

/**
 * When a record of a real run happened, ns since the Unix epoch: the MCAP log time is when the
 * server received the message, the publish time the robot's own clock in it.
 */
export interface RecordTime {
  logNs: bigint;
  publishNs: bigint;
}

/** `/step` message (JSON): vectors are plain number arrays. */
export interface StepMessage {
  episode: number;
  step: number;
  /** Seconds since the episode start (real runs: between the server receiving the two messages). */
  time: number;
  obs: number[];
  /** The normalised action as sent by the policy. */
  action: number[];
  /** The normalised action the robot actually applied (after clamping, noise, latency). */
  appliedAction: number[];
  reward: number;
  terminated: boolean;
  truncated: boolean;
  /** Observation before observation wrappers (noise, delay), when they were active. */
  trueObs?: number[];
  /** Clean expert label, when collected with expert noise. */
  expertAction?: number[];
  /** Bridge round trip (real episodes), milliseconds. */
  latencyMs?: number;
}

/** A step as a recorder takes it: vectors may be any numeric array. */
export interface StepInput {
  /** Default: the number of steps written in this episode so far. */
  step?: number;
  /** Seconds since the episode start. Default: from `at` when given, else `step / controlHz`. */
  time?: number;
  /** Recorded times (real runs); default: the writer's simulated clock. */
  at?: RecordTime;
  obs: ArrayLike<number>;
  action: ArrayLike<number>;
  appliedAction: ArrayLike<number>;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  trueObs?: ArrayLike<number>;
  expertAction?: ArrayLike<number>;
  latencyMs?: number;
}

/** A step as the reader returns it: vectors as Float32Array. */
export interface EpisodeStep {
  step: number;
  time: number;
  obs: Float32Array;
  action: Float32Array;
  appliedAction: Float32Array;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  trueObs?: Float32Array;
  expertAction?: Float32Array;
  latencyMs?: number;
}

export interface Episode {
  /** The file it was read from. */
  file: string;
  start: EpisodeStart;
  /** Missing when the writer stopped mid-episode: the episode is incomplete. */
  end?: EpisodeEnd;
  /** In step order. */
  steps: EpisodeStep[];
  /** Initial Rapier world snapshot (empty if it was lost). */
  snapshot: Uint8Array;
}

export interface EpisodeFile {
  path: string;
  /** Complete and incomplete episodes, in index order. */
  episodes: Episode[];
  /** Episodes with a start record but no end record. */
  incompleteEpisodes: number;
  /** True when the file had a summary and was read through its index. */
  indexed: boolean;
  /**
   * Why a streaming read stopped before the end of the file (a truncated or damaged tail), or
   * null when it read cleanly. Always null for indexed reads.
   */
  tail: string | null;
}
