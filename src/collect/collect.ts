/**
 * `collect`: run the scripted expert for N seeded episodes on W worker threads and write MCAP
 * episode files (one per worker). Episode i always uses seed + i, whatever the worker count.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Scenario } from '../sim/scenario-schema.js';
import { InputError } from '../errors.js';
import { startWorker } from '../worker-url.js';
import type { CollectWorkerInit, CollectWorkerMessage } from './collect-protocol.js';
import { checkCompensable } from '../sim/delay-compensator.js';

export interface CollectOptions {
  scenario: Scenario;
  episodes: number;
  out: string;
  workers?: number;
  randomize?: boolean;
  /** DART-style gaussian noise on the executed expert action (normalised units). */
  expertNoise?: number;
  /** Record observations predicted for the present from each episode's drawn delays (training data for delay-compensating policies; navigate). */
  compensateDelay?: boolean;
  seed?: number;
  /** Write `/scene` every k steps (default 1). */
  sceneEvery?: number;
  onEpisode?: (e: { index: number; success: boolean; return: number; length: number }) => void;
}

export interface CollectResult {
  files: string[];
  episodes: number;
  successes: number;
  meanReturn: number;
  meanLength: number;
}

function shardFile(out: string, sc: Scenario, seed: number, worker: number): string {
  return join(out, `${sc.name}-seed${seed}-w${worker}.mcap`);
}

export async function collect(opts: CollectOptions): Promise<CollectResult> {
  const { scenario: sc, episodes } = opts;
  if (!Number.isInteger(episodes) || episodes < 1)
    throw new InputError(`--episodes: expected a positive integer, got ${episodes}`);
  const workers = Math.max(1, Math.min(opts.workers ?? 2, episodes));
  const seed = opts.seed ?? 0;
  if (opts.compensateDelay) {
    try {
      checkCompensable(sc.contract, { steps: 1, tau: 0 });
    } catch (e) {
      throw new InputError(`--compensate-delay: scenario ${sc.name}: ${(e as Error).message}`);
    }
  }
  mkdirSync(opts.out, { recursive: true });
  const files = Array.from({ length: workers }, (_, w) => shardFile(opts.out, sc, seed, w));
  for (const f of files) {
    // Never overwrite episodes already collected.
    if (existsSync(f))
      throw new InputError(`${f}: expected a new file, got an existing one (use another --out or --seed)`);
  }
  let successes = 0;
  let sumReturn = 0;
  let sumLength = 0;
  let count = 0;
  const threads = files.map((file, w) => {
    const init: CollectWorkerInit = {
      scenario: sc,
      indices: Array.from({ length: episodes }, (_, i) => i).filter((i) => i % workers === w),
      seed,
      randomize: opts.randomize ?? false,
      expertNoise: opts.expertNoise ?? 0,
      compensateDelay: opts.compensateDelay ?? false,
      file,
      sceneEvery: opts.sceneEvery ?? 1,
    };
    return startWorker('collect-worker', import.meta.url, { workerData: init });
  });
  try {
    await Promise.all(
      threads.map(
        (t) =>
          new Promise<void>((resolve, reject) => {
            t.on('message', (m: CollectWorkerMessage) => {
              if (m.type === 'episode') {
                count++;
                successes += m.success ? 1 : 0;
                sumReturn += m.return;
                sumLength += m.length;
                opts.onEpisode?.(m);
              } else if (m.type === 'done') resolve();
              else reject(new Error(`collect worker: ${m.message}`));
            });
            t.on('error', reject);
            t.on('exit', (code) =>
              code === 0 ? resolve() : reject(new Error(`collect worker exited with code ${code}`)),
            );
          }),
      ),
    );
  } finally {
    await Promise.all(threads.map((t) => t.terminate()));
  }
  return {
    files,
    episodes: count,
    successes,
    meanReturn: sumReturn / Math.max(1, count),
    meanLength: sumLength / Math.max(1, count),
  };
}
