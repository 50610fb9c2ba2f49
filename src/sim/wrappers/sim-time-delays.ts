/**
 * Actuation and sensing delays in sim time (docs/scenarios.md, "Timing"): fractional, and jittered
 * from step to step, resolved to the physics substep. Used instead of ActionLatency and
 * ObservationDelay when a scenario or profile gives `action_delay_s`, `obs_delay_s` or `jitter_s`;
 * the whole-step `action_latency` / `obs_delay` of the episode are folded in (drawn from their own
 * streams exactly as those wrappers draw them).
 *
 * Actuation: the command sent at step i acts from substep i·S + round(D_i / dt), with
 * D_i = max(0, action_latency·T + action_delay_s + e_i) and e_i ~ N(0, jitter_s) drawn per command.
 * The newest command that has arrived wins: one that arrives after a newer one is dropped, and a
 * step in which nothing arrives leaves the command in effect acting (TaskEnv.planStep). Before the
 * first command arrives the scenario's safe action acts.
 *
 * Sensing: the reading returned after step t is the state at substep q_t = (t+1)·S − round(D_t / dt),
 * D_t = max(0, obs_delay·T + obs_delay_s + e_t), and never older than the reading before it (a
 * robot keeps the newest reading it has; before the episode began, the first one). The q of the
 * coming steps are drawn ahead so that only the substeps some step will return are read.
 *
 * Sits directly on the task env (inside the noise wrappers): action noise is drawn once per command
 * when it is sent, sensor errors once per reading returned. Each step's info.simTime says when its
 * newest command took effect (substep, or null) and how many substeps old its reading is.
 */
import { Wrapper, type Env, type ResetOptions, type ResetResult, type StepResult } from '../env.js';
import { Rng } from '../rng.js';
import { TaskEnv, type SubstepPlan } from '../task-env.js';
import { drawSteps, drawUniform, type RangeSource } from './ranges.js';

interface Sent {
  index: number;
  /** Substep of the episode from which it acts. */
  at: number;
  action: Float32Array;
}

export class SimTimeDelays extends Wrapper {
  private readonly S: number;
  private readonly dt: number;
  private readonly T: number;
  private actionBase = 0;
  private obsBase = 0;
  private jitter = 0;
  private actionJitter = new Rng(0);
  private obsJitter = new Rng(0);
  /** Control steps taken this episode. */
  private t = 0;
  /** Commands sent that have not taken effect yet (and the safe action at the start). */
  private pending: Sent[] = [];
  private inEffect: Sent | null = null;
  /** Sensing substeps of the steps t, t+1, … drawn so far (never decreasing). */
  private sensing: number[] = [];
  private lastSensed = 0;
  /** Readings by episode substep, from the oldest one a coming step may still return. */
  private readings = new Map<number, Float32Array>();

  constructor(
    env: Env,
    private readonly ranges: RangeSource,
    private readonly safeAction: readonly number[],
  ) {
    super(env);
    const task = env.unwrapped;
    if (!(task instanceof TaskEnv)) throw new Error('sim-time delays: the innermost env must be a TaskEnv');
    this.S = task.scenario.control.substeps;
    this.dt = task.dt;
    this.T = 1 / task.controlHz;
  }

  private get task(): TaskEnv {
    return this.env.unwrapped as TaskEnv;
  }

  override reset(opts: { seed?: number; options?: ResetOptions } = {}): ResetResult {
    const res = this.env.reset(opts);
    const seed = res.info.seed;
    // The whole-step delays from the streams ActionLatency and ObservationDelay use, so an episode
    // draws the same whole steps whichever wrapper runs it.
    const latency = drawSteps(Rng.derive(seed, 'action-latency'), this.ranges.range('action_latency'));
    const obsDelay = drawSteps(Rng.derive(seed, 'observation-delay'), this.ranges.range('obs_delay'));
    const rng = Rng.derive(seed, 'sim-time-delays');
    const actionDelay = drawUniform(rng, this.ranges.range('action_delay_s'));
    const obsDelayS = drawUniform(rng, this.ranges.range('obs_delay_s'));
    this.jitter = drawUniform(rng, this.ranges.range('jitter_s'));
    this.actionJitter = Rng.derive(seed, 'action-jitter');
    this.obsJitter = Rng.derive(seed, 'obs-jitter');
    this.actionBase = latency * this.T + actionDelay;
    this.obsBase = obsDelay * this.T + obsDelayS;
    this.t = 0;
    this.inEffect = null;
    this.pending = [{ index: -1, at: 0, action: Float32Array.from(this.safeAction) }];
    this.sensing = [];
    this.lastSensed = 0;
    this.readings = new Map([[0, res.obs]]);
    const r = res.info.randomization;
    r.action_latency = latency;
    r.obs_delay = obsDelay;
    r.action_delay_s = actionDelay;
    r.obs_delay_s = obsDelayS;
    r.jitter_s = this.jitter;
    res.info.trueObs ??= res.obs;
    return res;
  }

  /** Substeps a delay of `base` s (plus this step's jitter) spans. */
  private substepsOf(base: number, jitter: Rng): number {
    const d = this.jitter > 0 ? base + jitter.normal(0, this.jitter) : base;
    return d > 0 ? Math.round(d / this.dt) : 0;
  }

  override step(action: ArrayLike<number>): StepResult {
    const S = this.S;
    const t = this.t;
    const start = t * S;
    const end = start + S;
    this.pending.push({
      index: t,
      at: start + this.substepsOf(this.actionBase, this.actionJitter),
      action: Float32Array.from(action),
    });

    // Commands arriving in this step, in order of arrival; the newest so far wins.
    const arriving = this.pending.filter((c) => c.at < end).sort((a, b) => a.at - b.at || a.index - b.index);
    this.pending = this.pending.filter((c) => c.at >= end);
    const switches: { at: number; action: Float32Array }[] = [];
    for (const c of arriving) {
      if (this.inEffect && c.index < this.inEffect.index) continue;
      this.inEffect = c;
      const at = c.at - start;
      if (switches.length > 0 && switches[switches.length - 1].at === at) switches.pop();
      switches.push({ at, action: c.action });
    }

    // Sensing substeps of this and the coming steps, until one lies beyond this step.
    while (this.sensing.length === 0 || this.sensing[this.sensing.length - 1] < end) {
      const ahead = t + this.sensing.length;
      const q = Math.max(this.lastSensed, (ahead + 1) * S - this.substepsOf(this.obsBase, this.obsJitter));
      this.lastSensed = q;
      this.sensing.push(q);
    }
    const capture: number[] = [];
    for (const q of this.sensing) {
      if (q >= end) break;
      if (q > start && (capture.length === 0 || capture[capture.length - 1] !== q - start)) capture.push(q - start);
    }

    const last = switches.pop();
    const plan: SubstepPlan = { switchAt: last ? last.at : null, earlier: switches, capture };
    this.task.planStep(plan);
    const res = this.env.step(last ? last.action : this.inEffect!.action);
    const captured = (res.info.captured as Float32Array[] | undefined) ?? [];
    delete res.info.captured;
    for (let i = 0; i < capture.length; i++) this.readings.set(start + capture[i], captured[i]);
    this.readings.set(end, res.obs);
    const q = this.sensing.shift()!;
    const obs = this.readings.get(q)!;
    for (const k of this.readings.keys()) if (k < q) this.readings.delete(k);
    this.t++;
    res.info.trueObs ??= res.obs;
    // When this step's newest command took effect (null: none arrived) and how old the reading is, in substeps.
    res.info.simTime = { actionAt: plan.switchAt, obsAge: end - q };
    return { ...res, obs };
  }
}
