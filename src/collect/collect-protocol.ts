/** Messages between the collect job and its worker threads. */
export interface CollectWorkerInit {
  scenario: unknown;
  /** Episode indices this worker runs; episode i uses seed + i. */
  indices: number[];
  seed: number;
  randomize: boolean;
  expertNoise: number;
  /** Record observations predicted for the present (make-env `compensateDelay`). */
  compensateDelay: boolean;
  file: string;
  sceneEvery: number;
}

export type CollectWorkerMessage =
  | { type: 'episode'; index: number; success: boolean; return: number; length: number }
  | { type: 'done' }
  | { type: 'error'; message: string };
