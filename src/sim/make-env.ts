/**
 * Builds the environment a scenario describes: the task env wrapped (inside out) in physics
 * randomization, action noise, action latency, observation noise, per-component sensor errors,
 * observation delay, the time limit and episode seeding. With sim-time delays (`action_delay_s`,
 * `obs_delay_s`, `jitter_s`) one wrapper directly on the task env does all the delaying instead.
 * Without `randomize` only the time limit and seeding apply; with `compensateDelay` the sim's delay
 * compensation goes around it all.
 */
import type { Env } from './env.js';
import type { Scenario } from './scenario-schema.js';
import type { Rapier } from './rapier.js';
import type { PhysicsEngine } from './engine.js';
import { TaskEnv } from './task-env.js';
import { fixedRanges, type RangeSource } from './wrappers/ranges.js';
import { DomainRandomization } from './wrappers/domain-randomization.js';
import { ActionNoise } from './wrappers/action-noise.js';
import { ActionLatency } from './wrappers/action-latency.js';
import { ObservationNoise } from './wrappers/observation-noise.js';
import { ObservationDelay } from './wrappers/observation-delay.js';
import { SensorErrors, sensorSpecs } from './wrappers/sensor-errors.js';
import { SimTimeDelays } from './wrappers/sim-time-delays.js';
import { TimeLimit } from './wrappers/time-limit.js';
import { EpisodeSeeds } from './wrappers/episode-seeds.js';
import { AdrEpisodes } from './wrappers/adr-episodes.js';
import { SimDelayCompensation } from './wrappers/delay-compensation.js';
import type { Adr } from './adr.js';

export interface MakeEnvOptions {
  /** Apply the scenario's `randomization:` block (default false: nominal sim). */
  randomize?: boolean;
  /** Draw ranges from an ADR controller instead of the fixed block (implies randomize). */
  adr?: Adr;
  /** Override the scenario's episode length. */
  maxSteps?: number;
  /**
   * Observations predicted for the present from the episode's drawn delays (training data for
   * delay-compensating policies; navigate). Outermost, after seeding.
   */
  compensateDelay?: boolean;
}

/** `engine`: a loaded Rapier module (the simulator) or another PhysicsEngine (a MuJoCo reality). */
export function makeEnv(engine: Rapier | PhysicsEngine, sc: Scenario, opts: MakeEnvOptions = {}): Env {
  let env: Env = new TaskEnv(engine, sc);
  const ranges: RangeSource | null = opts.adr ?? (opts.randomize ? fixedRanges(sc.randomization) : null);
  if (ranges) {
    env = new DomainRandomization(env, ranges, sc.task);
    // Scenarios without sim-time delays keep the whole-step wrappers, and with them every episode
    // they ever drew (the RNG streams and the order of noise and delay).
    const simTime = ['action_delay_s', 'obs_delay_s', 'jitter_s'].some((k) => ranges.range(k) !== undefined);
    if (simTime) env = new SimTimeDelays(env, ranges, sc.safe_action);
    env = new ActionNoise(env, ranges);
    if (!simTime) env = new ActionLatency(env, ranges, sc.safe_action);
    env = new ObservationNoise(env, ranges);
    const sensors = sensorSpecs(sc.contract, sc.randomization.sensors);
    if (sensors.length > 0) env = new SensorErrors(env, ranges, sensors);
    if (!simTime) env = new ObservationDelay(env, ranges);
  }
  env = new TimeLimit(env, opts.maxSteps ?? sc.episode.max_steps);
  if (opts.adr) env = new AdrEpisodes(env, opts.adr);
  env = new EpisodeSeeds(env);
  return opts.compensateDelay ? new SimDelayCompensation(env, sc.safe_action) : env;
}

/** The TaskEnv inside a wrapped env (for experts, snapshots and scene output). */
export function taskEnvOf(env: Env): TaskEnv {
  const inner = env.unwrapped;
  if (!(inner instanceof TaskEnv)) throw new Error('env: innermost environment is not a TaskEnv');
  return inner;
}
