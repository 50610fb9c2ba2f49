/**
 * The server's side of delay compensation, one per robot session: a policy that compensates a
 * control-loop delay (`policy.delayCompensation`) sees, instead of each received observation, the
 * state predicted for when its action will act — from that observation and the commands the robot
 * applied (the `applied` field of the next obs message; what was sent when the robot does not say).
 * Replay policies and policies without compensation get the observation as received. Recordings
 * keep the received observation.
 */
import { totalSize } from '../sim/contract.js';
import type { Policy } from '../policy/policy.js';
import { DelayCompensator, type DelayCompensation } from '../policy/delay-compensation.js';
import type { ObsMsg } from './messages.js';

export class SessionCompensation {
  private comp: DelayCompensator | null = null;
  private config: DelayCompensation | undefined;
  private episode: number | null = null;
  private last: Float32Array | null = null;
  private buf: Float32Array | null = null;
  private warned = false;

  /**
   * @param controlHz the robot's control rate (the server's scenario, else the robot's hello; 0: unknown)
   * @param safeAction what the robot applies before its first command acts (default all zeros)
   */
  constructor(
    private readonly controlHz: number,
    private readonly safeAction: readonly number[] | undefined,
    private readonly warn: (line: string) => void,
  ) {}

  /** The observation `policy` should act on for `msg`; call `sent` with the action that goes back. */
  input(policy: Policy, msg: ObsMsg): Float32Array {
    const cfg = policy.delayCompensation;
    if (!cfg || cfg.steps === 0) return msg.obs;
    if (!(this.controlHz > 0)) {
      if (!this.warned) this.warn(`policy ${policy.id} compensates a ${cfg.steps}-step delay, but the control rate is unknown (no scenario on the server, no control_hz in the hello): serving without compensation`);
      this.warned = true;
      return msg.obs;
    }
    if (cfg !== this.config) {
      // A new policy (deployed mid-episode) starts without the commands already in flight.
      this.comp = new DelayCompensator(policy.contract, this.controlHz, this.safeAction ?? new Array(totalSize(policy.contract.action)).fill(0), cfg);
      this.buf = new Float32Array(this.comp.obsSize);
      this.config = cfg;
      this.episode = null;
    }
    const comp = this.comp!;
    if (msg.episode !== this.episode || msg.step === 0) {
      comp.reset();
      this.episode = msg.episode;
    } else if (this.last) comp.commanded(msg.applied ?? this.last);
    this.last = null;
    return comp.observe(msg.obs, this.buf!);
  }

  /** The action sent back for the observation last passed to `input`. */
  sent(action: Float32Array): void {
    this.last = action;
  }
}
