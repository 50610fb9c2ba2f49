/**
 * Shared-memory layout of a vector env: batched obs/actions/rewards/flags as typed arrays over
 * SharedArrayBuffers, plus one control word pair per worker. No per-step messages or JSON.
 */
export interface VectorBuffers {
  actions: SharedArrayBuffer; // Float32 [N * actSize]
  obs: SharedArrayBuffer; // Float32 [N * obsSize]
  finalObs: SharedArrayBuffer; // Float32 [N * obsSize], valid where an episode ended this step
  rewards: SharedArrayBuffer; // Float32 [N]
  flags: SharedArrayBuffer; // Uint8 [N * 3]: terminated, truncated, success
  control: SharedArrayBuffer; // Int32 [W * 2]: command sequence, completed sequence
}

export const FLAG_TERMINATED = 0;
export const FLAG_TRUNCATED = 1;
export const FLAG_SUCCESS = 2;

export const enum Command {
  Reset = 1,
  Step = 2,
  Close = 3,
}

export function allocate(numEnvs: number, obsSize: number, actSize: number, workers: number): VectorBuffers {
  return {
    actions: new SharedArrayBuffer(4 * numEnvs * actSize),
    obs: new SharedArrayBuffer(4 * numEnvs * obsSize),
    finalObs: new SharedArrayBuffer(4 * numEnvs * obsSize),
    rewards: new SharedArrayBuffer(4 * numEnvs),
    flags: new SharedArrayBuffer(3 * numEnvs),
    control: new SharedArrayBuffer(4 * 2 * workers + 4 * workers),
  };
}

/** Word offsets in `control`: [seq(w), done(w)] pairs, then one command word per worker. */
export const seqIndex = (w: number): number => 2 * w;
export const doneIndex = (w: number): number => 2 * w + 1;
export const commandIndex = (w: number, workers: number): number => 2 * workers + w;

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
