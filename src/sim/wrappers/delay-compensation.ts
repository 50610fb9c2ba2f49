/**
 * Training-time delay compensation in sim: the observation becomes the state predicted for the
 * present, from the delayed observation and the commands applied since it was measured, using the
 * delays this episode actually drew (the ActionLatency / ObservationDelay wrappers' reset info — known
 * in sim, and only there). Outermost wrapper, so experts, recorders and DAgger learners all see it.
 *
 * In sim the split is known, so the prediction stops at the present (the last d_a commands have not
 * acted yet) and matches what the expert's labels answer; on the robot only the total loop delay is
 * known and the policy's own compensator predicts to when its command acts
 * (src/rollout/delay-compensated-actor.ts, src/bridge/session-compensation.ts). Policies trained on
 * predictions to the present fine-tuned better on the emulated robot than ones trained on
 * predictions to the acting time (docs/design.md, "Findings").
 */
import { Wrapper, type Env, type ResetOptions, type ResetResult, type StepResult } from '../env.js';
import { DEFAULT_COMPENSATION_TAU, DelayCompensator } from '../delay-compensator.js';

export class SimDelayCompensation extends Wrapper {
  private comp: DelayCompensator | null = null;

  constructor(
    env: Env,
    private readonly safeAction: readonly number[],
    private readonly tau = DEFAULT_COMPENSATION_TAU,
  ) {
    super(env);
  }

  override reset(opts: { seed?: number; options?: ResetOptions } = {}): ResetResult {
    const res = this.env.reset(opts);
    const r = res.info.randomization;
    // Sim-time delays (SimTimeDelays) count to the nearest whole step: the predictor works in steps.
    const steps = (k: unknown, s: unknown) =>
      (typeof k === 'number' ? k : 0) + (typeof s === 'number' ? Math.round(s * this.controlHz) : 0);
    const da = steps(r.action_latency, r.action_delay_s);
    const dObs = steps(r.obs_delay, r.obs_delay_s);
    r.delay_compensation = { action_latency: da, obs_delay: dObs, tau: this.tau };
    this.comp =
      dObs > 0
        ? new DelayCompensator(
            this.contract,
            this.controlHz,
            this.safeAction,
            { steps: da + dObs, tau: this.tau },
            { skipLatest: da },
          )
        : null;
    return this.comp ? { ...res, obs: this.comp.observe(res.obs) } : res;
  }

  override step(action: ArrayLike<number>): StepResult {
    this.comp?.commanded(action);
    const res = this.env.step(action);
    return this.comp ? { ...res, obs: this.comp.observe(res.obs) } : res;
  }
}
