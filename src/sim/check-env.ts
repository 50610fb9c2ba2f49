/**
 * An environment checker in the spirit of Gymnasium's `utils/env_checker.py`: small check_*
 * functions that throw with a precise message when an env breaks the Env contract.
 */
import { createHash } from 'node:crypto';
import type { Env } from './env.js';
import { Rng } from './rng.js';
import { totalSize } from './contract.js';

function fail(msg: string): never {
  throw new Error(`checkEnv: ${msg}`);
}

export function checkSpaces(env: Env): void {
  const nObs = totalSize(env.contract.obs);
  const nAct = totalSize(env.contract.action);
  if (env.observationSpace.size !== nObs)
    fail(`observationSpace has ${env.observationSpace.size} dims, contract.obs ${nObs}`);
  if (env.actionSpace.size !== nAct) fail(`actionSpace has ${env.actionSpace.size} dims, contract.action ${nAct}`);
  for (let i = 0; i < nAct; i++) {
    if (env.actionSpace.low[i] !== -1 || env.actionSpace.high[i] !== 1) fail(`actionSpace dim ${i} is not [-1, 1]`);
  }
}

function describeOutside(env: Env, obs: Float32Array): string {
  const { low, high } = env.observationSpace;
  let k = 0;
  for (const c of env.contract.obs) {
    for (let j = 0; j < c.size; j++, k++) {
      const v = obs[k];
      if (!Number.isFinite(v) || v < low[k] || v > high[k])
        return `${c.name}[${j}] = ${v} outside [${low[k]}, ${high[k]}]`;
    }
  }
  return obs.length !== low.length ? `length ${obs.length}, expected ${low.length}` : 'ok';
}

export function checkObservation(env: Env, obs: Float32Array, where: string): void {
  if (!(obs instanceof Float32Array)) fail(`${where}: observation is not a Float32Array`);
  if (!env.observationSpace.contains(obs)) fail(`${where}: observation ${describeOutside(env, obs)}`);
}

/** A hash of the observations of one seeded episode under a seeded random action sequence. */
export function rolloutHash(env: Env, seed: number, steps: number, actionSeed = 12345): string {
  const h = createHash('sha256');
  const rng = new Rng(actionSeed);
  const r = env.reset({ seed });
  h.update(new Uint8Array(r.obs.buffer, r.obs.byteOffset, r.obs.byteLength));
  for (let t = 0; t < steps; t++) {
    const s = env.step(env.actionSpace.sample(rng));
    h.update(new Uint8Array(s.obs.buffer, s.obs.byteOffset, s.obs.byteLength));
    h.update(new Uint8Array(Float64Array.of(s.reward).buffer));
    if (s.terminated || s.truncated) break;
  }
  return h.digest('hex');
}

export function checkDeterminism(makeEnv: () => Env, seed = 7, steps = 60): void {
  const a = makeEnv();
  const b = makeEnv();
  try {
    const ha = rolloutHash(a, seed, steps);
    const hb = rolloutHash(b, seed, steps);
    if (ha !== hb) fail(`two envs with seed ${seed} and the same actions diverged`);
    if (rolloutHash(a, seed, steps) !== ha) fail(`re-seeding the same env with ${seed} did not repeat the episode`);
    if (rolloutHash(a, seed + 1, steps) === ha) fail(`seeds ${seed} and ${seed + 1} gave identical episodes`);
  } finally {
    a.close();
    b.close();
  }
}

export interface StepCheckReport {
  steps: number;
  episodes: number;
  terminated: number;
  truncated: number;
}

/** Random actions for `steps` steps: finite rewards, obs within bounds, flags booleans, no NaN. */
export function checkRandomSteps(env: Env, steps: number, seed = 0): StepCheckReport {
  const rng = new Rng(seed);
  const rep: StepCheckReport = { steps: 0, episodes: 1, terminated: 0, truncated: 0 };
  checkObservation(env, env.reset({ seed }).obs, 'reset');
  for (let t = 0; t < steps; t++) {
    const s = env.step(env.actionSpace.sample(rng));
    rep.steps++;
    checkObservation(env, s.obs, `step ${t}`);
    if (!Number.isFinite(s.reward)) fail(`step ${t}: reward ${s.reward} is not finite`);
    if (typeof s.terminated !== 'boolean' || typeof s.truncated !== 'boolean')
      fail(`step ${t}: terminated/truncated must be booleans`);
    if (s.info.appliedAction.length !== env.actionSpace.size)
      fail(`step ${t}: info.appliedAction has the wrong length`);
    if (s.terminated || s.truncated) {
      if (s.terminated) rep.terminated++;
      else rep.truncated++;
      rep.episodes++;
      checkObservation(env, env.reset().obs, `reset after step ${t}`);
    }
  }
  return rep;
}

export function checkClose(env: Env): void {
  env.close();
  env.close();
}
