/**
 * Shared-memory layout of a vector env: batched obs/actions/rewards/flags as typed arrays over
 * SharedArrayBuffers, plus four control words. No per-step messages or JSON.
 *
 * One batch: the main thread writes the command, sets REMAINING = W, bumps SEQ and wakes every
 * worker with one notify; the worker that finishes last stores SEQ into DONE and wakes the main
 * thread. One wake-up each way per batch: on 2 cores, every extra wake-up of the main thread
 * competes with the workers for a core. Each side takes the value it waits for, not the wake-up, as
 * the signal (waitForBatch; the DONE loop in VectorEnv), since a wake-up can be stale.
 */
export interface VectorBuffers {
  actions: SharedArrayBuffer; // Float32 [N * actSize]
  obs: SharedArrayBuffer; // Float32 [N * obsSize]
  finalObs: SharedArrayBuffer; // Float32 [N * obsSize], valid where an episode ended this step
  rewards: SharedArrayBuffer; // Float32 [N]
  flags: SharedArrayBuffer; // Uint8 [N * 3]: terminated, truncated, success
  control: SharedArrayBuffer; // Int32 [4]: SEQ, COMMAND, REMAINING, DONE
}

export const FLAG_TERMINATED = 0;
export const FLAG_TRUNCATED = 1;
export const FLAG_SUCCESS = 2;

export enum Command {
  Reset = 1,
  Step = 2,
  Close = 3,
}

export function allocate(numEnvs: number, obsSize: number, actSize: number): VectorBuffers {
  return {
    actions: new SharedArrayBuffer(4 * numEnvs * actSize),
    obs: new SharedArrayBuffer(4 * numEnvs * obsSize),
    finalObs: new SharedArrayBuffer(4 * numEnvs * obsSize),
    rewards: new SharedArrayBuffer(4 * numEnvs),
    flags: new SharedArrayBuffer(3 * numEnvs),
    control: new SharedArrayBuffer(4 * 4),
  };
}

/** Word offsets in `control`. */
export const SEQ = 0;
export const COMMAND = 1;
export const REMAINING = 2;
export const DONE = 3;

export interface WorkerInit {
  scenario: unknown;
  randomize: boolean;
  maxSteps?: number;
  /** Indices of the envs this worker owns: [first, first + count). */
  first: number;
  count: number;
  numEnvs: number;
  obsSize: number;
  actSize: number;
  workers: number;
  worker: number;
  buffers: VectorBuffers;
  /** Base seed; env i starts with seed + i. */
  seed: number;
  rapier: 'simd' | 'compat';
}

/**
 * Worker side: block until SEQ differs from `last` (the batch this worker ran last) and return it.
 * A wake-up alone is not a new batch: the main thread stores SEQ and then notifies, and a worker that
 * is not yet waiting when SEQ changes (its wait returns 'not-equal') can run the whole batch and
 * wait again before that notify arrives, which then wakes it with SEQ unchanged. Taken as a batch,
 * that wake-up stepped the worker's envs twice and decremented REMAINING once too often (when the
 * extra decrement fell into the next batch, the main thread took that batch for done too early).
 */
export function waitForBatch(control: Int32Array, last: number): number {
  for (;;) {
    const seq = Atomics.load(control, SEQ);
    if (seq !== last) return seq;
    Atomics.wait(control, SEQ, last);
  }
}
