/**
 * The control-loop delay of a robot, estimated from its logged episodes (system identification):
 * how many control steps pass between sending a command and seeing its effect in the observation.
 * It is the sum of actuation latency and sensing delay; logs of commands and observations cannot
 * tell the two apart, and compensating the sum needs only the sum.
 *
 * Model, per feedback channel (a commanded velocity and the measured one): the measured value
 * after step t is z(t − D) plus a per-episode offset (sensor bias), where z is the command through
 * a first-order lag with an acceleration limit (motors are neither instant nor unbounded). D, the
 * lag and the limit are found by grid search on the squared error (channels scaled by their
 * command range, D shared). Closed-loop data whose commands change smoothly can read one step
 * short; commands with some variation (noise while recording) identify D exactly.
 */
import { bounds, offsetOf, type Contract } from '../sim/contract.js';
import { InputError } from '../errors.js';
import type { Episode } from './types.js';

/** A commanded quantity and the observation component that measures it. */
interface Feedback {
  action: string;
  obs: string;
}

/** Feedback channels sim2real knows by contract component names (navigate: the base velocities). */
const FEEDBACK: Feedback[][] = [
  [
    { action: 'lin_vel', obs: 'base_lin_vel' },
    { action: 'ang_vel', obs: 'base_ang_vel' },
  ],
];

export interface ChannelFit {
  action: string;
  obs: string;
  /** First-order lag time constant, s. */
  tau: number;
  /** Acceleration limit, units of the command per s (Infinity: none needed). */
  accelLimit: number;
}

export interface LoopDelayEstimate {
  /** Total loop delay, control steps. */
  steps: number;
  /** The same in milliseconds. */
  ms: number;
  controlHz: number;
  channels: ChannelFit[];
  /** Mean squared residual (scaled) at each candidate delay 0..maxSteps: a sharp minimum means a clear answer. */
  residualByDelay: number[];
  episodes: number;
  /** Steps used (the last step of each episode has no next observation). */
  rows: number;
}

export interface LoopDelayOptions {
  /** Largest delay considered, control steps (default 12). */
  maxSteps?: number;
}

const SUBSTEPS = 10;
const TAUS = Array.from({ length: 21 }, (_, i) => 0.025 * i);
/** Acceleration limits tried, as multiples of the command range per second. */
const ACCEL_LIMITS = [0.5, 1, 2, 4, 8, Infinity];

function feedbackOf(contract: Contract, file: string): Feedback[] {
  const has = (list: Contract['obs'], name: string) => list.some((c) => c.name === name && c.size === 1);
  const found = FEEDBACK.find((set) => set.every((f) => has(contract.action, f.action) && has(contract.obs, f.obs)));
  if (!found) {
    const wanted = FEEDBACK.map((set) => set.map((f) => `${f.action} → ${f.obs}`).join(', ')).join(' or ');
    throw new InputError(
      `${file}: contract: expected commanded and measured velocities to estimate the loop delay from (${wanted}), got actions ${contract.action.map((c) => c.name).join(', ')}`,
    );
  }
  return found;
}

/** Commands (physical units) and the measured values that followed them, per episode. */
interface Series {
  u: Float64Array;
  y: Float64Array;
  y0: number;
}

function series(e: Episode, actIndex: number, obsIndex: number, low: number, high: number): Series {
  const n = e.steps.length - 1;
  const u = new Float64Array(n);
  const y = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const a = Math.max(-1, Math.min(1, e.steps[t].action[actIndex]));
    u[t] = low + ((a + 1) / 2) * (high - low);
    y[t] = e.steps[t + 1].obs[obsIndex];
  }
  return { u, y, y0: e.steps[0].obs[obsIndex] };
}

/** z[t]: the lagged, rate-limited response to u after step t (z[-1] = y0 is passed as start). */
function respond(s: Series, tau: number, accel: number, dt: number): Float64Array {
  const h = dt / SUBSTEPS;
  const k = tau > 0 ? 1 - Math.exp(-h / tau) : 1;
  const lim = accel * h;
  const z = new Float64Array(s.u.length);
  let v = s.y0;
  for (let t = 0; t < s.u.length; t++) {
    for (let i = 0; i < SUBSTEPS; i++) {
      let dv = (s.u[t] - v) * k;
      if (dv > lim) dv = lim;
      else if (dv < -lim) dv = -lim;
      v += dv;
    }
    z[t] = v;
  }
  return z;
}

/** Sum of squared residuals of y against z delayed by d (before the first command: the start value), offsets removed per episode. */
function residual(all: Series[], zs: Float64Array[], d: number, scale: number): number {
  let err = 0;
  for (let e = 0; e < all.length; e++) {
    const { y, y0 } = all[e];
    const z = zs[e];
    const n = y.length;
    let mean = 0;
    for (let t = 0; t < n; t++) mean += y[t] - (t - d >= 0 ? z[t - d] : y0);
    mean /= n;
    for (let t = 0; t < n; t++) {
      const r = (y[t] - (t - d >= 0 ? z[t - d] : y0) - mean) / scale;
      err += r * r;
    }
  }
  return err;
}

/** Estimate the loop delay from episodes recorded on one robot (same contract and control rate). */
export function estimateLoopDelay(episodes: Episode[], opts: LoopDelayOptions = {}): LoopDelayEstimate {
  const maxSteps = opts.maxSteps ?? 12;
  const usable = episodes.filter((e) => e.steps.length > maxSteps + 2);
  if (usable.length === 0)
    throw new InputError(
      `${episodes[0]?.file ?? 'episodes'}: expected at least one episode longer than ${maxSteps + 2} steps to estimate a loop delay of up to ${maxSteps} steps, got ${episodes.length} shorter ones`,
    );
  const first = usable[0].start;
  const mismatch = usable.find((e) => e.start.controlHz !== first.controlHz || e.start.scenario !== first.scenario);
  if (mismatch)
    throw new InputError(
      `${mismatch.file}: episode ${mismatch.start.index}: expected episodes of one robot (scenario ${first.scenario} at ${first.controlHz} Hz), got ${mismatch.start.scenario} at ${mismatch.start.controlHz} Hz`,
    );
  const contract = first.contract;
  const dt = 1 / first.controlHz;
  const ab = bounds(contract.action);
  const rows = usable.reduce((n, e) => n + e.steps.length - 1, 0);
  const channels = feedbackOf(contract, usable[0].file).map((f) => {
    const ai = offsetOf(contract.action, f.action);
    const oi = offsetOf(contract.obs, f.obs);
    const range = ab.high[ai] - ab.low[ai];
    const all = usable.map((e) => series(e, ai, oi, ab.low[ai], ab.high[ai]));
    // Best (lag, limit) for every candidate delay.
    const best = Array.from({ length: maxSteps + 1 }, () => ({ err: Infinity, tau: 0, accel: Infinity }));
    for (const tau of TAUS) {
      for (const mult of ACCEL_LIMITS) {
        const accel = mult * range;
        const zs = all.map((s) => respond(s, tau, accel, dt));
        for (let d = 0; d <= maxSteps; d++) {
          const err = residual(all, zs, d, range);
          if (err < best[d].err) best[d] = { err, tau, accel };
        }
      }
    }
    return { f, best };
  });
  const residualByDelay = Array.from(
    { length: maxSteps + 1 },
    (_, d) => channels.reduce((s, c) => s + c.best[d].err, 0) / (rows * channels.length),
  );
  const steps = residualByDelay.indexOf(Math.min(...residualByDelay));
  return {
    steps,
    ms: (1000 * steps) / first.controlHz,
    controlHz: first.controlHz,
    channels: channels.map((c) => ({
      action: c.f.action,
      obs: c.f.obs,
      tau: c.best[steps].tau,
      accelLimit: c.best[steps].accel,
    })),
    residualByDelay,
    episodes: usable.length,
    rows,
  };
}
