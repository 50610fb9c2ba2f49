/**
 * Physics steps/s inside env.step() against the bare engine, measured so machine noise hits both
 * alike: each round runs a block of env steps, then the same number of bare physics steps on the
 * same world continuing from where the env left it; medians over rounds (and of per-round ratios).
 */
import type { Env } from '../src/sim/env.js';
import { Rng } from '../src/sim/rng.js';
import { median } from './table.js';

export interface EnvVsRaw {
  inEnv: number;
  raw: number;
  ratio: number;
}

/** `raw(n)` runs n bare physics steps on the env's current world and returns their rate, steps/s. */
export function envVsRaw(env: Env, substeps: number, seconds: number, raw: (n: number) => number): EnvVsRaw {
  const rng = new Rng(2);
  const block = 20;
  const inEnv: number[] = [];
  const rawRates: number[] = [];
  const ratios: number[] = [];
  const t0 = performance.now();
  let seed = 0;
  while (performance.now() - t0 < seconds * 1000 || ratios.length < 5) {
    env.reset({ seed: seed++ });
    for (let round = 0; round < 5; round++) {
      const actions = Array.from({ length: block }, () => env.actionSpace.sample(rng));
      const t = performance.now();
      let ended = false;
      for (const a of actions) {
        const r = env.step(a);
        if (r.terminated || r.truncated) ended = true;
      }
      const envRate = (block * substeps) / ((performance.now() - t) / 1000);
      const rawRate = raw(block * substeps);
      inEnv.push(envRate);
      rawRates.push(rawRate);
      ratios.push(envRate / rawRate);
      if (ended) break;
    }
  }
  return { inEnv: median(inEnv), raw: median(rawRates), ratio: median(ratios) };
}
