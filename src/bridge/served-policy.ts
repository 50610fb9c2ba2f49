/** The policy a server is serving, with a version that increases by one at every swap. */
import type { Policy } from '../policy/policy.js';
import { contractMismatch } from '../sim/contract.js';

export class PolicySlot {
  private current: Policy;
  private v = 1;

  constructor(policy: Policy) {
    this.current = policy;
  }

  get policy(): Policy {
    return this.current;
  }

  get version(): number {
    return this.v;
  }

  /**
   * Swap in a new policy (between two control steps: the event loop runs one message at a time).
   * Refuses one whose contract differs, naming the component; the old policy keeps serving.
   */
  swap(next: Policy): number {
    const m = contractMismatch(this.current.contract, next.contract);
    if (m) throw new Error(`the new policy's contract differs from the one being served: ${m}`);
    this.current = next;
    return ++this.v;
  }
}
