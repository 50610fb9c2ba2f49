/**
 * N environments stepped across W worker threads with batched typed-array obs and actions.
 * Episodes reset automatically in the step that ends them; the last observation of an ended episode
 * is in `finalObs` (bootstrap from it on truncation).
 */
import type { Worker } from 'node:worker_threads';
import { totalSize } from './contract.js';
import { startWorker } from '../worker-url.js';
import type { Scenario } from './scenario-schema.js';
import {
  COMMAND,
  Command,
  DONE,
  FLAG_SUCCESS,
  FLAG_TERMINATED,
  FLAG_TRUNCATED,
  REMAINING,
  SEQ,
  allocate,
  type VectorBuffers,
  type WorkerInit,
} from './vector-layout.js';

export interface VectorEnvOptions {
  scenario: Scenario;
  numEnvs: number;
  /** Worker threads (default: min(numEnvs, 2)). */
  workers?: number;
  randomize?: boolean;
  maxSteps?: number;
  /** Env i's first episode uses seed + i. */
  seed?: number;
  rapier?: 'simd' | 'compat';
}

export interface VectorStep {
  /** [numEnvs * obsSize]; after an episode ends, the first obs of the next one. */
  obs: Float32Array;
  /** [numEnvs * obsSize]; the last obs of an episode that ended in this step. */
  finalObs: Float32Array;
  rewards: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  success: Uint8Array;
}

export class VectorEnv {
  readonly numEnvs: number;
  readonly obsSize: number;
  readonly actSize: number;
  readonly workers: number;
  private readonly threads: Worker[];
  private readonly control: Int32Array;
  private readonly flags: Uint8Array;
  private readonly actionsView: Float32Array;
  private seq = 0;
  private closed = false;
  private failure: Error | null = null;
  private readonly result: VectorStep;

  private constructor(opts: VectorEnvOptions, threads: Worker[], buffers: VectorBuffers) {
    this.numEnvs = opts.numEnvs;
    this.obsSize = totalSize(opts.scenario.contract.obs);
    this.actSize = totalSize(opts.scenario.contract.action);
    this.workers = threads.length;
    this.threads = threads;
    this.control = new Int32Array(buffers.control);
    this.flags = new Uint8Array(buffers.flags);
    this.actionsView = new Float32Array(buffers.actions);
    this.result = {
      obs: new Float32Array(buffers.obs),
      finalObs: new Float32Array(buffers.finalObs),
      rewards: new Float32Array(buffers.rewards),
      terminated: new Uint8Array(this.numEnvs),
      truncated: new Uint8Array(this.numEnvs),
      success: new Uint8Array(this.numEnvs),
    };
    for (const t of threads) {
      t.on('error', (e) => {
        this.failure = e;
      });
    }
  }

  static async create(opts: VectorEnvOptions): Promise<VectorEnv> {
    const n = opts.numEnvs;
    if (!Number.isInteger(n) || n < 1) throw new Error(`vector env: numEnvs must be a positive integer, got ${n}`);
    const workers = Math.min(n, opts.workers ?? Math.min(n, 2));
    const obsSize = totalSize(opts.scenario.contract.obs);
    const actSize = totalSize(opts.scenario.contract.action);
    const buffers = allocate(n, obsSize, actSize);
    const threads: Worker[] = [];
    let first = 0;
    for (let w = 0; w < workers; w++) {
      const count = Math.floor(n / workers) + (w < n % workers ? 1 : 0);
      const init: WorkerInit = {
        scenario: opts.scenario,
        randomize: opts.randomize ?? false,
        maxSteps: opts.maxSteps,
        first,
        count,
        numEnvs: n,
        obsSize,
        actSize,
        workers,
        worker: w,
        buffers,
        seed: opts.seed ?? 0,
        rapier: opts.rapier ?? 'simd',
      };
      first += count;
      threads.push(startWorker(process.env.VW ?? 'vector-worker', import.meta.url, { workerData: init }));
    }
    try {
      await Promise.all(
        threads.map(
          (t) =>
            new Promise<void>((resolve, reject) => {
              t.once('message', () => resolve());
              t.once('error', reject);
              t.once('exit', (code) =>
                reject(new Error(`vector env: worker exited with code ${code} during start-up`)),
              );
            }),
        ),
      );
    } catch (e) {
      await Promise.all(threads.map((t) => t.terminate()));
      throw e;
    }
    for (const t of threads) t.removeAllListeners();
    return new VectorEnv(opts, threads, buffers);
  }

  private async run(command: Command): Promise<void> {
    if (this.closed) throw new Error('vector env: used after close()');
    const seq = ++this.seq;
    Atomics.store(this.control, COMMAND, command);
    Atomics.store(this.control, REMAINING, this.workers);
    Atomics.store(this.control, SEQ, seq);
    Atomics.notify(this.control, SEQ);
    while (Atomics.load(this.control, DONE) !== seq) {
      if (this.failure) throw new Error(`vector env: worker failed: ${this.failure.message}`);
      const wait = Atomics.waitAsync(this.control, DONE, Atomics.load(this.control, DONE), 1000);
      if (wait.async) await wait.value;
    }
  }

  /** Reset every env (env i with seed + i); returns [numEnvs * obsSize]. */
  async reset(): Promise<Float32Array> {
    await this.run(Command.Reset);
    return this.result.obs;
  }

  /** Step every env with [numEnvs * actSize] normalised actions. The returned arrays are reused. */
  async step(actions: Float32Array): Promise<VectorStep> {
    if (actions.length !== this.numEnvs * this.actSize) {
      throw new Error(`vector env: expected ${this.numEnvs * this.actSize} action values, got ${actions.length}`);
    }
    this.actionsView.set(actions);
    await this.run(Command.Step);
    const r = this.result;
    for (let i = 0; i < this.numEnvs; i++) {
      r.terminated[i] = this.flags[3 * i + FLAG_TERMINATED];
      r.truncated[i] = this.flags[3 * i + FLAG_TRUNCATED];
      r.success[i] = this.flags[3 * i + FLAG_SUCCESS];
    }
    return r;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.run(Command.Close).catch(() => undefined);
    this.closed = true;
    await Promise.all(this.threads.map((t) => t.terminate()));
  }
}
