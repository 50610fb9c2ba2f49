/**
 * The base environment: one physics world per episode (Rapier, or MuJoCo for a reality that names
 * it: engine.ts), a task inside it, actions scaled from [-1, 1] to the contract's physical ranges,
 * `substeps` physics steps per control step.
 * Time limits, randomization, noise and latency are wrappers around this (see make-env.ts).
 */
import { Box } from './spaces.js';
import { Float32Blocks } from './float32-blocks.js';
import { bounds, totalSize, type Contract } from './contract.js';
import { Rng } from './rng.js';
import { nominalPhysics, type PhysicsParams } from './physics-params.js';
import type { Env, ResetOptions, ResetResult, Serialisable, StepResult } from './env.js';
import type { Scenario } from './scenario-schema.js';
import type { ScenePrimitive } from './task.js';
import type { Rapier, World } from './rapier.js';
import type { EngineName, EpisodeWorld, PhysicsEngine } from './engine.js';
import { RapierEngine, rapierWorldOf } from './rapier-engine.js';

/**
 * How one control step's substeps go when commands and readings fall between control steps (the
 * sim-time delays of wrappers/sim-time-delays.ts). Set with planStep() for the next step() only;
 * without a plan a step applies its action at substep 0 and observes at its end, as always.
 */
export interface SubstepPlan {
  /**
   * Substep (0 … substeps − 1) from which the step's action acts; until then the command in effect
   * keeps acting. null: no new command this step — nothing is applied, and the step's action must
   * be the command in effect (it is what info.appliedAction reports).
   */
  switchAt: number | null;
  /** Commands (normalised) taking effect earlier in the same step, at ascending substeps below switchAt. */
  earlier: readonly { at: number; action: ArrayLike<number> }[];
  /** Substeps (1 … substeps − 1, ascending) after which the observation is read into info.captured, in order. */
  capture: readonly number[];
}

/** Everything needed to put an episode back exactly where it was. */
export interface EnvState {
  /** The engine's own bytes (a Rapier snapshot, or a MuJoCo one: src/sim/mujoco/snapshot.ts). */
  snapshot: Uint8Array;
  physics: PhysicsParams;
  task: Serialisable;
}

export class TaskEnv implements Env {
  readonly contract: Contract;
  readonly observationSpace: Box;
  readonly actionSpace: Box;
  readonly controlHz: number;
  readonly dt: number;
  readonly engine: PhysicsEngine;
  private episode: EpisodeWorld | null = null;
  private rng: Rng;
  private params: PhysicsParams;
  private readonly actLow: Float32Array;
  private readonly actHigh: Float32Array;
  private readonly physicalAction: Float32Array;
  /** Physical units of a plan's earlier commands (allocated on first use). */
  private earlierAction: Float32Array | null = null;
  private plan: SubstepPlan | null = null;
  private readonly obsBlocks: Float32Blocks;
  /** The scenario's reward weights as parallel arrays (no key iteration per step). */
  private readonly rewardTerms: string[];
  private readonly rewardWeights: number[];
  private warnedClamp = false;
  private closed = false;
  /** Called once with a message the first time an action is clamped. */
  onWarn: (msg: string) => void = (m) => process.emitWarning(m);

  /** `engine`: a loaded Rapier module (the simulator), or any PhysicsEngine (a MuJoCo reality). */
  constructor(
    engine: Rapier | PhysicsEngine,
    readonly scenario: Scenario,
  ) {
    this.engine = 'create' in engine && 'name' in engine ? engine : new RapierEngine(engine as Rapier);
    this.contract = scenario.contract;
    const ob = bounds(scenario.contract.obs);
    const ab = bounds(scenario.contract.action);
    this.actLow = ab.low;
    this.actHigh = ab.high;
    this.observationSpace = new Box(ob.low, ob.high);
    this.actionSpace = Box.uniform(totalSize(scenario.contract.action), -1, 1);
    this.physicalAction = new Float32Array(this.actionSpace.size);
    this.obsBlocks = new Float32Blocks(this.observationSpace.size);
    this.rewardTerms = Object.keys(scenario.reward);
    this.rewardWeights = this.rewardTerms.map((t) => scenario.reward[t]);
    this.controlHz = scenario.control.rate_hz;
    this.dt = 1 / (scenario.control.rate_hz * scenario.control.substeps);
    this.rng = new Rng(0);
    this.params = this.nominal();
  }

  get unwrapped(): Env {
    return this;
  }

  get engineName(): EngineName {
    return this.engine.name;
  }

  /** The live Rapier world (benchmarks and tests; Rapier engine only). */
  get physicsWorld(): World {
    return rapierWorldOf(this.episode);
  }

  get physics(): PhysicsParams {
    return this.params;
  }

  private nominal(): PhysicsParams {
    const sc = this.scenario as { world?: { restitution?: number } };
    return nominalPhysics(sc.world?.restitution ?? 0);
  }

  private freeEpisode(): void {
    const ep = this.episode;
    this.episode = null;
    ep?.free();
  }

  reset(opts: { seed?: number; options?: ResetOptions } = {}): ResetResult {
    if (this.closed) throw new Error('env: reset() after close()');
    // An explicit seed restarts the stream of episode seeds; without one the next seed is drawn
    // from it. Either way the episode depends only on its seed, so info.seed reproduces it.
    let episodeSeed: number;
    if (opts.seed !== undefined) {
      episodeSeed = opts.seed;
      this.rng = Rng.derive(opts.seed, 'episode-seeds');
    } else {
      episodeSeed = this.rng.nextU32();
    }
    this.params = { ...this.nominal(), ...(opts.options?.physics ?? {}) };
    this.plan = null;
    this.freeEpisode();
    this.episode = this.engine.create(this.scenario, this.params, Rng.derive(episodeSeed, 'start-state'), this.dt);
    return { obs: this.observe(), info: { seed: episodeSeed, physics: { ...this.params }, randomization: {} } };
  }

  private observe(): Float32Array {
    const out = this.obsBlocks.next();
    this.episode!.instance.observe(out);
    return out;
  }

  step(action: ArrayLike<number>): StepResult {
    const ep = this.episode;
    if (!ep) throw new Error('env: step() before reset()');
    const inst = ep.instance;
    const applied = new Float32Array(this.actionSpace.size);
    if (this.scale(action, this.physicalAction, applied)) this.warnClamp(action);
    const substeps = this.scenario.control.substeps;
    const plan = this.plan;
    let captured: Float32Array[] | null = null;
    if (plan === null) {
      inst.applyAction(this.physicalAction);
      for (let k = 0; k < substeps; k++) {
        inst.beforeSubstep?.(this.dt);
        ep.step();
        inst.afterSubstep?.(this.dt);
      }
    } else {
      this.plan = null;
      captured = this.runPlan(ep, plan, substeps);
    }
    const ev = inst.evaluate();
    let reward = 0;
    for (let k = 0; k < this.rewardTerms.length; k++)
      reward += this.rewardWeights[k] * (ev.terms[this.rewardTerms[k]] ?? 0);
    return {
      obs: this.observe(),
      reward,
      terminated: ev.terminated,
      truncated: false,
      info:
        captured === null
          ? { success: ev.success, appliedAction: applied, terms: ev.terms, physicsSteps: substeps }
          : { success: ev.success, appliedAction: applied, terms: ev.terms, physicsSteps: substeps, captured },
    };
  }

  /** Normalised action → clamped copy in `applied` and physical units in `out`; true when anything was clamped. */
  private scale(action: ArrayLike<number>, out: Float32Array, applied: Float32Array | null): boolean {
    const n = this.actionSpace.size;
    if (action.length !== n) throw new Error(`env: action has ${action.length} values, contract expects ${n}`);
    let clamped = false;
    for (let i = 0; i < n; i++) {
      let a = action[i];
      if (!Number.isFinite(a)) {
        throw new Error(`env: action[${i}] is ${a}; actions must be finite numbers in [-1, 1]`);
      }
      if (a > 1 || a < -1) {
        clamped = true;
        a = a > 1 ? 1 : -1;
      }
      if (applied) applied[i] = a;
      out[i] = this.actLow[i] + ((a + 1) / 2) * (this.actHigh[i] - this.actLow[i]);
    }
    return clamped;
  }

  private warnClamp(action: ArrayLike<number>): void {
    if (this.warnedClamp) return;
    this.warnedClamp = true;
    this.onWarn(
      `sim2real: action outside [-1, 1] clamped (first seen: ${Array.from(action)
        .map((v) => v.toFixed(3))
        .join(', ')}); warning once`,
    );
  }

  /**
   * Schedule the next step()'s substeps (sim-time delays): when its action takes effect, which
   * commands take effect before it, and where to read observations in between (SubstepPlan).
   */
  planStep(plan: SubstepPlan): void {
    const S = this.scenario.control.substeps;
    let last = -1;
    for (const e of plan.earlier) {
      if (!Number.isInteger(e.at) || e.at <= last || e.at >= S) throw new Error(`env: plan: bad substep ${e.at}`);
      last = e.at;
    }
    if (plan.switchAt !== null && (!Number.isInteger(plan.switchAt) || plan.switchAt <= last || plan.switchAt >= S))
      throw new Error(`env: plan: bad switch substep ${plan.switchAt}`);
    last = 0;
    for (const c of plan.capture) {
      if (!Number.isInteger(c) || c <= last || c >= S) throw new Error(`env: plan: bad capture substep ${c}`);
      last = c;
    }
    this.plan = plan;
  }

  private runPlan(ep: EpisodeWorld, plan: SubstepPlan, substeps: number): Float32Array[] {
    const inst = ep.instance;
    const { earlier, switchAt, capture } = plan;
    const first = earlier.length > 0 ? earlier[0].at : (switchAt ?? substeps);
    // The command in effect acts on into this step: the task redoes its once-per-step work for it.
    if (first > 0) inst.resync?.();
    const captured: Float32Array[] = [];
    let e = 0;
    let c = 0;
    for (let k = 0; k < substeps; k++) {
      while (e < earlier.length && earlier[e].at === k) {
        const out = (this.earlierAction ??= new Float32Array(this.actionSpace.size));
        if (this.scale(earlier[e].action, out, null)) this.warnClamp(earlier[e].action);
        inst.applyAction(out);
        e++;
      }
      if (switchAt === k) inst.applyAction(this.physicalAction);
      inst.beforeSubstep?.(this.dt);
      ep.step();
      inst.afterSubstep?.(this.dt);
      if (c < capture.length && capture[c] === k + 1) {
        captured.push(this.observe());
        inst.resync?.();
        c++;
      }
    }
    return captured;
  }

  /** Privileged ground truth for scripted experts. */
  privileged(): unknown {
    if (!this.episode) throw new Error('env: privileged() before reset()');
    return this.episode.instance.privileged();
  }

  scene(): ScenePrimitive[] {
    return this.episode ? this.episode.instance.scene() : [];
  }

  getState(): EnvState {
    const ep = this.episode;
    if (!ep) throw new Error('env: getState() before reset()');
    return { snapshot: ep.snapshot(), physics: { ...this.params }, task: ep.instance.taskState() };
  }

  /** Continue from a saved state (a logged initial snapshot, for replay). */
  setState(state: EnvState): Float32Array {
    if (this.closed) throw new Error('env: setState() after close()');
    this.freeEpisode();
    // Physics logged before a parameter existed restores with that parameter nominal.
    this.params = { ...this.nominal(), ...state.physics };
    this.plan = null;
    this.episode = this.engine.restore(this.scenario, this.params, state.snapshot, state.task, this.dt);
    return this.observe();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.freeEpisode();
  }
}
