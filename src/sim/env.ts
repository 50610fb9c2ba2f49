/**
 * The Gymnasium-shaped environment API every part of sim2real leans on (docs/design.md, "Environment API").
 * `terminated` = the task ended (success or failure); `truncated` = time limit only. Never `done`.
 */
import type { Box } from './spaces.js';
import type { Contract } from './contract.js';
import type { PhysicsParams } from './physics-params.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Plain data written with JSON.stringify (typed records such as a Scenario or a run config); read back it is Json. */
export type Serialisable = object | string | number | boolean | null;

export interface ResetOptions {
  /** Physics parameters for this episode (domain randomization); missing ones stay nominal. */
  physics?: Partial<PhysicsParams>;
}

export interface ResetInfo {
  seed: number;
  /** Physics parameters the episode's world was built with. */
  physics: PhysicsParams;
  /** Per-episode values sampled by wrappers (noise bias, latency, ...), keyed by wrapper. */
  randomization: Record<string, Json>;
  /** Observation before any observation wrapper (noise, delay). */
  trueObs?: Float32Array;
}

export interface StepInfo {
  success: boolean;
  /** The normalised action the robot actually applied (after clamping, noise, latency). */
  appliedAction: Float32Array;
  /** Raw (unweighted) reward terms of this step. */
  terms: Record<string, number>;
  /** Observation before any observation wrapper (noise, delay): what replay compares against. */
  trueObs?: Float32Array;
  /** Physics substeps taken in this control step. */
  physicsSteps: number;
  [key: string]: unknown;
}

export interface StepResult {
  obs: Float32Array;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: StepInfo;
}

export interface ResetResult {
  obs: Float32Array;
  info: ResetInfo;
}

export interface Env {
  readonly contract: Contract;
  readonly observationSpace: Box;
  /** Always [-1, 1]^n: actions are normalised at the policy boundary. */
  readonly actionSpace: Box;
  /** Control steps per second. */
  readonly controlHz: number;
  /** The innermost environment (for experts and replay, which need privileged state). */
  readonly unwrapped: Env;
  reset(opts?: { seed?: number; options?: ResetOptions }): ResetResult;
  step(action: ArrayLike<number>): StepResult;
  /** Idempotent. */
  close(): void;
}

/** Base for wrappers: forwards everything; subclasses override what they change. */
export abstract class Wrapper implements Env {
  constructor(protected readonly env: Env) {}
  get contract(): Contract {
    return this.env.contract;
  }
  get observationSpace(): Box {
    return this.env.observationSpace;
  }
  get actionSpace(): Box {
    return this.env.actionSpace;
  }
  get controlHz(): number {
    return this.env.controlHz;
  }
  get unwrapped(): Env {
    return this.env.unwrapped;
  }
  reset(opts?: { seed?: number; options?: ResetOptions }): ResetResult {
    return this.env.reset(opts);
  }
  step(action: ArrayLike<number>): StepResult {
    return this.env.step(action);
  }
  close(): void {
    this.env.close();
  }
}
