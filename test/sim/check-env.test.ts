/** The env checker over every scenario file, nominal and randomized. */
import { readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadRapier } from '../../src/sim/rapier.js';
import { loadScenario } from '../../src/sim/scenario-file.js';
import { makeEnv } from '../../src/sim/make-env.js';
import {
  checkClose,
  checkDeterminism,
  checkObservation,
  checkRandomSteps,
  checkSpaces,
  rolloutHash,
} from '../../src/sim/check-env.js';
import type { TaskEnv } from '../../src/sim/task-env.js';

const files = readdirSync('scenarios')
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => `scenarios/${f}`);
const R = await loadRapier();

describe.each(files)('checkEnv %s', (file) => {
  const sc = loadScenario(file);
  const quiet = (env: ReturnType<typeof makeEnv>) => {
    (env.unwrapped as TaskEnv).onWarn = () => {};
    return env;
  };

  it.each([false, true])('spaces, reset and 1,000 random steps without NaN (randomize=%s)', (randomize) => {
    const env = quiet(makeEnv(R, sc, { randomize }));
    try {
      checkSpaces(env);
      const rep = checkRandomSteps(env, 1000, 3);
      expect(rep.steps).toBe(1000);
      expect(rep.episodes).toBeGreaterThanOrEqual(1);
    } finally {
      env.close();
    }
  });

  it.each([false, true])('is deterministic per seed and differs across seeds (randomize=%s)', (randomize) => {
    checkDeterminism(() => quiet(makeEnv(R, sc, { randomize })), 11, 60);
  });

  it('gives bit-identical observations in another process', () => {
    const env = quiet(makeEnv(R, sc, { randomize: true }));
    const here = rolloutHash(env, 5, 40);
    env.close();
    const there = execFileSync(process.execPath, ['--import', 'tsx', 'test/sim/obs-hash.ts', file, '5', '40', '1'], {
      encoding: 'utf8',
    }).trim();
    expect(there).toBe(here);
  });

  it('closes twice and refuses use after close', () => {
    const env = makeEnv(R, sc);
    checkObservation(env, env.reset({ seed: 1 }).obs, 'reset');
    checkClose(env);
    expect(() => env.reset({ seed: 1 })).toThrow(/close/);
  });

  it('clamps out-of-range actions, warns once and reports the applied action', () => {
    const env = makeEnv(R, sc);
    const warnings: string[] = [];
    (env.unwrapped as TaskEnv).onWarn = (m) => warnings.push(m);
    env.reset({ seed: 2 });
    const big = new Float32Array(env.actionSpace.size).fill(3);
    const r1 = env.step(big);
    env.step(big);
    expect(Array.from(r1.info.appliedAction)).toEqual(new Array(env.actionSpace.size).fill(1));
    expect(warnings).toHaveLength(1);
    expect(() => env.step(new Float32Array(env.actionSpace.size).fill(NaN))).toThrow(/finite/);
    env.close();
  });
});
