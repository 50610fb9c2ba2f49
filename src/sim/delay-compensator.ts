/**
 * Delay compensation ("predict the present", a Smith predictor on the observation side) for
 * `navigate`: the policy sees the state predicted for the moment its command will act instead of a
 * stale observation.
 *
 * Convention: ONE number, the total loop delay D in control steps = actuation latency d_a + sensing
 * delay d_o (only the total is identifiable from logs). With the observation received after step t
 * measured after step t − d_o, and the command chosen now (sent at step t + 1) applied from step
 * t + 1 + d_a on, i.e. from the state after step t + d_a, the prediction spans the D steps
 * t − d_o + 1 … t + d_a, whose applied commands are exactly the last D commands sent (sent at steps
 * t − D + 1 … t; the safe action for the steps before the episode had that many). How D splits into
 * d_a + d_o does not matter.
 *
 * The roll-out starts from the delayed observation's velocities and follows each command with a
 * first-order lag `tau` (src/sim/tasks/navigate/predict.ts); the observation is then re-read from
 * the predicted frame. Same contract and size, so nothing downstream changes.
 *
 * Call order per control step: `observe(obs)` → policy → `commanded(action sent)`.
 */
import { totalSize, type Contract } from './contract.js';
import type { Scenario } from './scenario-schema.js';
import {
  NavReprojector,
  advanceUnicycle,
  navLayout,
  startUnicycle,
  type NavLayout,
  type UnicycleState,
} from './tasks/navigate/predict.js';

/** Delay compensation settings; JSON-serialisable (stored in checkpoints). */
export interface DelayCompensation {
  /** Total loop delay D in control steps (actuation latency + sensing delay); 0 = off. */
  steps: number;
  /** First-order velocity lag of the base, s (0: velocities jump to the command). */
  tau: number;
}

/** Lag of the base's velocity response the prediction assumes unless told, s: the shipped base's (docs/design.md, "Findings"). */
export const DEFAULT_COMPENSATION_TAU = 0.1;

/** The longest loop delay compensated, control steps (6.4 s at 10 Hz: far beyond any usable control loop). */
export const MAX_DELAY_STEPS = 64;

export const NO_DELAY_COMPENSATION: DelayCompensation = Object.freeze({ steps: 0, tau: 0 });

/** Throws a one-line error unless `c` is a valid DelayCompensation (e.g. read from a checkpoint). */
export function checkDelayCompensation(c: unknown, where = 'delay compensation'): DelayCompensation {
  const o = c as Partial<DelayCompensation> | null;
  if (typeof o !== 'object' || o === null)
    throw new Error(`${where}: expected { steps, tau }, got ${JSON.stringify(c)}`);
  if (typeof o.steps !== 'number' || !Number.isInteger(o.steps) || o.steps < 0 || o.steps > MAX_DELAY_STEPS)
    throw new Error(`${where}: steps must be a whole number in 0..${MAX_DELAY_STEPS}, got ${JSON.stringify(o.steps)}`);
  if (typeof o.tau !== 'number' || !Number.isFinite(o.tau) || o.tau < 0)
    throw new Error(`${where}: tau must be a finite number ≥ 0 (seconds), got ${JSON.stringify(o.tau)}`);
  return { steps: o.steps, tau: o.tau };
}

/** Throws a one-line error unless observations of `contract` can be compensated (steps > 0 needs a navigate-like contract). */
export function checkCompensable(contract: Contract, config: DelayCompensation): void {
  if (config.steps > 0) navLayout(contract);
}

export interface DelayCompensatorOptions {
  /** Integration substeps per control step (default 10). */
  substeps?: number;
  /**
   * Leave out the newest k commands (default 0): they have not acted yet at the present, so the
   * prediction stops at the present instead of at when the next command acts. Only sim knows the
   * actuation latency apart from the total (src/sim/wrappers/delay-compensation.ts).
   */
  skipLatest?: number;
}

/**
 * Per-episode delay compensation state: the last D commands sent and the prediction scratch.
 * Allocation-free per step when `observe` is given an output array. With steps = 0 it is the identity
 * and accepts any contract; with steps > 0 the contract must be navigate-like (one-line error otherwise).
 */
export class DelayCompensator {
  readonly config: DelayCompensation;
  readonly obsSize: number;
  readonly actSize: number;
  private readonly dt: number;
  private readonly substeps: number;
  private readonly skipLatest: number;
  private readonly L: NavLayout | null;
  private readonly reprojector: NavReprojector | null;
  /** Safe action in physical units (lin, ang). */
  private readonly safeV: number = 0;
  private readonly safeW: number = 0;
  private readonly safeNorm: Float64Array;
  /** Ring of the last D commands sent, physical [v, ω] pairs; command j (1-based) sits in slot (j − 1) mod D. */
  private readonly ring: Float64Array;
  /** Commands sent this episode. */
  private sent = 0;
  private readonly state: UnicycleState = { x: 0, y: 0, yaw: 0, v: 0, w: 0 };

  constructor(
    contract: Contract,
    controlHz: number,
    safeAction: ArrayLike<number>,
    config: DelayCompensation,
    opts: DelayCompensatorOptions = {},
  ) {
    this.config = checkDelayCompensation(config);
    if (!(controlHz > 0) || !Number.isFinite(controlHz))
      throw new Error(`delay compensation: control rate must be a positive number of Hz, got ${controlHz}`);
    this.substeps = opts.substeps ?? 10;
    if (!Number.isInteger(this.substeps) || this.substeps < 1)
      throw new Error(`delay compensation: substeps must be a whole number ≥ 1, got ${this.substeps}`);
    this.dt = 1 / controlHz;
    this.skipLatest = opts.skipLatest ?? 0;
    if (!Number.isInteger(this.skipLatest) || this.skipLatest < 0 || this.skipLatest > this.config.steps)
      throw new Error(
        `delay compensation: skipLatest must be a whole number in 0..${this.config.steps}, got ${this.skipLatest}`,
      );
    this.obsSize = totalSize(contract.obs);
    this.actSize = totalSize(contract.action);
    if (safeAction.length !== this.actSize)
      throw new Error(
        `delay compensation: safe action has ${safeAction.length} values, the contract's action has ${this.actSize}`,
      );
    this.safeNorm = Float64Array.from(safeAction);
    this.ring = new Float64Array(2 * this.config.steps);
    if (this.config.steps > 0) {
      this.L = navLayout(contract);
      this.reprojector = new NavReprojector(this.L);
      this.safeV = this.physical(safeAction, this.L.linCmd);
      this.safeW = this.physical(safeAction, this.L.angCmd);
    } else {
      this.L = null;
      this.reprojector = null;
    }
  }

  /** Forget the commands sent (call at every episode start). */
  reset(): void {
    this.sent = 0;
  }

  /** Commands recorded since the last reset. */
  get commandsSent(): number {
    return this.sent;
  }

  /** Normalised action element i → physical; clamped to [-1, 1] first, a non-finite value reads as the safe action's. */
  private physical(a: ArrayLike<number>, i: number): number {
    const L = this.L!;
    let x = a[i];
    if (!Number.isFinite(x)) x = this.safeNorm[i];
    x = x > 1 ? 1 : x < -1 ? -1 : x;
    return L.actLow[i] + ((x + 1) / 2) * (L.actHigh[i] - L.actLow[i]);
  }

  /**
   * Record the normalised action that was sent this step (what the robot will apply once the
   * latency has passed), after the `observe` of the same step.
   */
  commanded(action: ArrayLike<number>): void {
    if (action.length !== this.actSize)
      throw new Error(`delay compensation: expected actions of ${this.actSize} values, got ${action.length}`);
    const D = this.config.steps;
    if (D > 0) {
      const L = this.L!;
      const slot = 2 * (this.sent % D);
      this.ring[slot] = this.physical(action, L.linCmd);
      this.ring[slot + 1] = this.physical(action, L.angCmd);
    }
    this.sent++;
  }

  /**
   * The compensated observation for the (delayed) observation `obs`: the one predicted for when the
   * command chosen now will act. A copy of `obs` when steps = 0 or no command was sent yet this
   * episode. Writes into `out` when given (may be `obs`), else into a new array.
   */
  observe(obs: Float32Array, out: Float32Array = new Float32Array(this.obsSize)): Float32Array {
    if (obs.length !== this.obsSize)
      throw new Error(`delay compensation: expected observations of ${this.obsSize} values, got ${obs.length}`);
    if (out.length !== this.obsSize)
      throw new Error(`delay compensation: output array has ${out.length} values, expected ${this.obsSize}`);
    const D = this.config.steps;
    if (D === 0 || this.sent === 0) {
      if (out !== obs) out.set(obs);
      return out;
    }
    const L = this.L!;
    const s = startUnicycle(this.state, obs[L.linVel], obs[L.angVel]);
    const { dt, substeps, ring } = this;
    const tau = this.config.tau;
    for (let j = this.sent - D + 1; j <= this.sent - this.skipLatest; j++) {
      if (j < 1) advanceUnicycle(s, this.safeV, this.safeW, dt, tau, substeps);
      else {
        const slot = 2 * ((j - 1) % D);
        advanceUnicycle(s, ring[slot], ring[slot + 1], dt, tau, substeps);
      }
    }
    this.reprojector!.reproject(obs, s.x, s.y, s.yaw, s.v, s.w, out);
    return out;
  }
}

/**
 * Compensate one logged episode for training: rows in order, observation row t is observed, then
 * action row t is recorded as commanded. `act` must hold the actions as SENT (not clean expert labels
 * of DART-style collection: those were never executed). Returns a new (n × obsSize) array; resets
 * `comp` first and leaves it at the episode's end.
 */
export function compensateEpisode(
  obs: Float32Array,
  act: Float32Array,
  n: number,
  comp: DelayCompensator,
): Float32Array {
  const no = comp.obsSize;
  const na = comp.actSize;
  if (!Number.isInteger(n) || n < 0) throw new Error(`compensateEpisode: n must be a whole number ≥ 0, got ${n}`);
  if (obs.length !== n * no)
    throw new Error(`compensateEpisode: expected ${n} × ${no} observation values, got ${obs.length}`);
  if (act.length !== n * na)
    throw new Error(`compensateEpisode: expected ${n} × ${na} action values, got ${act.length}`);
  const out = new Float32Array(n * no);
  comp.reset();
  for (let t = 0; t < n; t++) {
    comp.observe(obs.subarray(t * no, (t + 1) * no), out.subarray(t * no, (t + 1) * no));
    comp.commanded(act.subarray(t * na, (t + 1) * na));
  }
  return out;
}

/** A compensator for episodes of `sc` under `config`, or null when there is nothing to compensate. */
export function compensatorFor(
  config: DelayCompensation | undefined,
  sc: Pick<Scenario, 'contract' | 'control' | 'safe_action'>,
): DelayCompensator | null {
  return config && config.steps > 0
    ? new DelayCompensator(sc.contract, sc.control.rate_hz, sc.safe_action, config)
    : null;
}
