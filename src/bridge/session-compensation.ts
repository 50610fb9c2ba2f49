/**
 * The server's side of delay compensation, one per robot session: a policy that compensates a
 * control-loop delay (`policy.delayCompensation`) sees, instead of each received observation, the
 * state predicted for when its action will act — from that observation and the commands sent to
 * the robot since. The commands are the ones this server sent (a step the robot reported no action
 * for — a gap in the step numbers — counts as the safe action); the `applied` field is not used:
 * a robot may report there what reached its actuators, i.e. after its own latency.
 * The session keeps its own command history, so a policy deployed mid-episode predicts from the
 * commands already in flight. Replay policies and policies without compensation get the
 * observation as received; recordings keep the received observation.
 */
import { totalSize } from '../sim/contract.js';
import type { Policy } from '../policy/models/policy.js';
import { DelayCompensator, MAX_DELAY_STEPS, type DelayCompensation } from '../sim/delay-compensator.js';
import type { ObsMsg } from './messages.js';

export class SessionCompensation {
  private comp: DelayCompensator | null = null;
  private config: DelayCompensation | undefined;
  private buf: Float32Array | null = null;
  /** The last MAX_DELAY_STEPS commands of this episode (normalised), a ring; `count` sent so far. */
  private history: Float32Array | null = null;
  private count = 0;
  private actSize = 0;
  private episode: number | null = null;
  private lastStep = -1;
  private warned = false;

  /**
   * @param controlHz the robot's control rate (the server's scenario, else the robot's hello; 0: unknown)
   * @param safeAction what the robot applies without a command (default all zeros)
   */
  constructor(
    private readonly controlHz: number,
    private readonly safeAction: readonly number[] | undefined,
    private readonly warn: (line: string) => void,
  ) {}

  /** The observation `policy` should act on for `msg`; call `sent` with the action that goes back. */
  input(policy: Policy, msg: ObsMsg): Float32Array {
    this.follow(policy, msg);
    const cfg = policy.delayCompensation;
    if (!cfg || cfg.steps === 0) return msg.obs;
    if (!(this.controlHz > 0)) {
      if (!this.warned)
        this.warn(
          `policy ${policy.id} compensates a ${cfg.steps}-step delay, but the control rate is unknown (no scenario on the server, no control_hz in the hello): serving without compensation`,
        );
      this.warned = true;
      return msg.obs;
    }
    if (cfg !== this.config) this.rebuild(policy, cfg);
    return this.comp!.observe(msg.obs, this.buf!);
  }

  /** The action sent back for the observation last passed to `input`. */
  sent(action: Float32Array): void {
    this.push(action);
  }

  /** Episode bookkeeping before an observation: a new episode clears the history, skipped steps count as the safe action. */
  private follow(policy: Policy, msg: ObsMsg): void {
    if (!this.history) {
      this.actSize = totalSize(policy.contract.action);
      this.history = new Float32Array(MAX_DELAY_STEPS * this.actSize);
    }
    if (msg.episode !== this.episode || msg.step <= this.lastStep || msg.step === 0) {
      this.episode = msg.episode;
      this.count = 0;
      this.comp?.reset();
    } else {
      // Only the last MAX_DELAY_STEPS commands are ever looked at: a gap of 2^53 steps must not
      // become 2^53 iterations (the server would stop answering every robot).
      const skipped = Math.min(msg.step - this.lastStep - 1, MAX_DELAY_STEPS);
      for (let s = 0; s < skipped; s++) this.push(this.safe());
    }
    this.lastStep = msg.step;
  }

  private safe(): readonly number[] {
    return this.safeAction ?? new Array(this.actSize).fill(0);
  }

  private push(action: ArrayLike<number>): void {
    const h = this.history!;
    const at = (this.count % MAX_DELAY_STEPS) * this.actSize;
    for (let i = 0; i < this.actSize; i++) h[at + i] = action[i];
    this.count++;
    this.comp?.commanded(action);
  }

  /** A compensator for `cfg` that already knows the commands in flight. */
  private rebuild(policy: Policy, cfg: DelayCompensation): void {
    const comp = new DelayCompensator(policy.contract, this.controlHz, this.safe(), cfg);
    const h = this.history!;
    for (let j = Math.max(0, this.count - cfg.steps); j < this.count; j++) {
      const at = (j % MAX_DELAY_STEPS) * this.actSize;
      comp.commanded(h.subarray(at, at + this.actSize));
    }
    this.comp = comp;
    this.buf = new Float32Array(comp.obsSize);
    this.config = cfg;
  }
}
