/** The policy a server is serving, with a version that increases by one at every swap; loading deployed checkpoints. */
import { rmSync } from 'node:fs';
import type { Policy } from '../policy/models/policy.js';
import { contractMismatch, type Contract } from '../sim/contract.js';
import { writeCheckpointFiles } from './checkpoint-files.js';

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

/**
 * `PolicyServerOptions.loadPolicy` for checkpoints (tfjs model + policy.json) with `contract`: the
 * deployed files go to a private temp dir, are loaded and checked, and the dir is removed. Errors
 * name the files as the deployer sent them, not the temp dir.
 */
export function checkpointLoader(contract: Contract): (files: Record<string, Uint8Array>) => Promise<Policy> {
  return async (files) => {
    // Imported here, not at the top: the bridge itself only knows `Policy`, and a server serving
    // something else (a replay) or a robot importing bridge code should not load tfjs.
    const { loadPolicyDir } = await import('../policy/checkpoints/policy-dir.js');
    const dir = writeCheckpointFiles(files);
    try {
      return (await loadPolicyDir(dir, { contract, what: 'the policy being served' })).policy;
    } catch (e) {
      throw new Error((e as Error).message.replaceAll(`${dir}/`, '').replaceAll(dir, 'the checkpoint'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
