import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { loadRapier } from '../../src/sim/rapier.js';
import { loadScenario } from '../../src/sim/scenario-file.js';
import { makeEnv } from '../../src/sim/make-env.js';
import { VectorEnv } from '../../src/sim/vector-env.js';
import { Rng } from '../../src/sim/rng.js';
import { SEQ, waitForBatch } from '../../src/sim/vector-layout.js';
import type { TaskEnv } from '../../src/sim/task-env.js';

const sc = loadScenario('scenarios/navigate-obstacles.yaml');
let venv: VectorEnv | null = null;
afterEach(async () => {
  await venv?.close();
  venv = null;
});

describe('VectorEnv', () => {
  it('steps N envs on W workers exactly like N single envs with the same seeds and actions', async () => {
    const R = await loadRapier();
    const n = 3;
    venv = await VectorEnv.create({ scenario: sc, numEnvs: n, workers: 2, seed: 40, randomize: true });
    const singles = Array.from({ length: n }, () => makeEnv(R, sc, { randomize: true }));
    for (const e of singles) (e.unwrapped as TaskEnv).onWarn = () => {};
    const obs = await venv.reset();
    const o = venv.obsSize;
    singles.forEach((e, i) =>
      expect(Array.from(obs.subarray(i * o, (i + 1) * o))).toEqual(Array.from(e.reset({ seed: 40 + i }).obs)),
    );
    const rng = new Rng(1);
    const a = venv.actSize;
    for (let t = 0; t < 30; t++) {
      const actions = new Float32Array(n * a).map(() => rng.uniform(-1, 1));
      const r = await venv.step(actions);
      singles.forEach((e, i) => {
        const s = e.step(actions.subarray(i * a, (i + 1) * a));
        const done = s.terminated || s.truncated;
        expect(Array.from((done ? r.finalObs : r.obs).subarray(i * o, (i + 1) * o))).toEqual(Array.from(s.obs));
        expect(r.rewards[i]).toBeCloseTo(s.reward, 5);
        expect(r.terminated[i]).toBe(s.terminated ? 1 : 0);
        if (done) expect(Array.from(r.obs.subarray(i * o, (i + 1) * o))).toEqual(Array.from(e.reset().obs));
      });
    }
    for (const e of singles) e.close();
  });

  it('auto-resets truncated episodes and keeps their final observation', async () => {
    venv = await VectorEnv.create({ scenario: sc, numEnvs: 2, workers: 1, maxSteps: 4 });
    await venv.reset();
    const zeros = new Float32Array(2 * venv.actSize);
    let r = await venv.step(zeros);
    for (let t = 1; t < 4; t++) r = await venv.step(zeros);
    expect(Array.from(r.truncated)).toEqual([1, 1]);
    expect(Array.from(r.terminated)).toEqual([0, 0]);
    const o = venv.obsSize;
    expect(Array.from(r.obs.subarray(0, o))).not.toEqual(Array.from(r.finalObs.subarray(0, o)));
    r = await venv.step(zeros);
    expect(Array.from(r.truncated)).toEqual([0, 0]);
  });

  it('refuses a wrong-sized action batch and use after close', async () => {
    venv = await VectorEnv.create({ scenario: sc, numEnvs: 2, workers: 1 });
    await venv.reset();
    await expect(venv.step(new Float32Array(3))).rejects.toThrow(/expected \d+ action values/);
    await venv.close();
    await venv.close();
    await expect(venv.reset()).rejects.toThrow(/after close/);
  });

  it('starts a worker batch only when SEQ changes, not on a late wake-up for a batch it already ran', async () => {
    // A worker that saw SEQ = 5 before the main thread's notify ran batch 5 and waits with last = 5;
    // the late notify then wakes it with SEQ still 5. Here a helper thread delivers that wake-up
    // (it notifies until a waiter is woken), delivers a second one (which reaches a waiter only if
    // the first one sent it back to waiting instead of into a batch), and only then starts batch 6.
    const control = new Int32Array(new SharedArrayBuffer(16));
    Atomics.store(control, SEQ, 5);
    const notifier = new Worker(
      `const { workerData } = require('node:worker_threads');
       const c = new Int32Array(workerData);
       for (let stale = 0; stale < 2; stale++) while (Atomics.notify(c, ${SEQ}) === 0);
       Atomics.store(c, ${SEQ}, 6);
       Atomics.notify(c, ${SEQ});`,
      { eval: true, workerData: control.buffer },
    );
    try {
      expect(waitForBatch(control, 5)).toBe(6);
    } finally {
      await notifier.terminate();
    }
  });
});
