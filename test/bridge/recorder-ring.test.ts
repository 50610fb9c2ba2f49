/**
 * The shared ring that carries served steps from the server to its recorder thread: exact values,
 * order, wrap-around, a full ring refusing rather than overwriting, and a reader on another thread.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { StepRing, type RecordedStep } from '../../src/bridge/recorder-protocol.js';
import { navScenario } from './fixtures.js';

const contract = navScenario.contract;
const obsAt = (k: number) => Float32Array.from({ length: 29 }, (_, i) => Math.fround(k * 0.37 - i / 7));
const actionAt = (k: number) => Float32Array.from([Math.fround(Math.sin(k)), Math.fround(-k / 1000)]);

function push(ring: StepRing, k: number): boolean {
  const applied = k % 3 === 0 ? undefined : Float32Array.from([0.5, -k / 3]);
  return ring.push(
    k % 2,
    {
      episode: k >> 4,
      step: k & 15,
      time: 1.7e9 + k / 3,
      receivedAt: 1.7e9 + k / 7,
      obs: obsAt(k),
      reward: k / 8,
      terminated: k % 5 === 0,
      truncated: k % 7 === 0,
      applied,
    },
    actionAt(k),
    k / 100,
  );
}

function expectStep(s: RecordedStep, k: number): void {
  expect(s.session).toBe(k % 2);
  expect(s.obs.episode).toBe(k >> 4);
  expect(s.obs.step).toBe(k & 15);
  expect(s.obs.time).toBe(1.7e9 + k / 3);
  expect(s.obs.receivedAt).toBe(1.7e9 + k / 7);
  expect(Array.from(s.obs.obs)).toEqual(Array.from(obsAt(k)));
  expect(s.obs.reward).toBe(k / 8);
  expect(s.obs.terminated).toBe(k % 5 === 0);
  expect(s.obs.truncated).toBe(k % 7 === 0);
  expect(s.obs.applied === undefined ? undefined : Array.from(s.obs.applied)).toEqual(
    k % 3 === 0 ? undefined : Array.from(Float32Array.from([0.5, -k / 3])),
  );
  expect(Array.from(s.action)).toEqual(Array.from(actionAt(k)));
  expect(s.latencyMs).toBe(k / 100);
}

describe('StepRing', () => {
  it('hands over every step exactly and in order, around the ring many times', () => {
    const ring = StepRing.create(contract, 4);
    const got: RecordedStep[] = [];
    let k = 0;
    for (const burst of [1, 3, 4, 2, 4, 1, 1, 4, 3, 4, 4, 2]) {
      for (let i = 0; i < burst; i++) expect(push(ring, k++)).toBe(true);
      ring.drain((s) => got.push(s));
    }
    expect(got).toHaveLength(k);
    got.forEach((s, i) => expectStep(s, i));
  });

  it('drains only up to the head an event was sent at', () => {
    const ring = StepRing.create(contract, 8);
    for (let k = 0; k < 3; k++) push(ring, k);
    const at = ring.head;
    for (let k = 3; k < 5; k++) push(ring, k);
    const got: number[] = [];
    ring.drain((s) => got.push(s.latencyMs * 100), at);
    expect(got).toEqual([0, 1, 2]);
    ring.drain((s) => got.push(s.latencyMs * 100));
    expect(got).toEqual([0, 1, 2, 3, 4]);
  });

  it('refuses a step when full (the reader fell behind) instead of overwriting an unread one', () => {
    const ring = StepRing.create(contract, 4);
    for (let k = 0; k < 4; k++) expect(push(ring, k)).toBe(true);
    expect(push(ring, 99)).toBe(false);
    const got: RecordedStep[] = [];
    ring.drain((s) => got.push(s));
    got.forEach((s, i) => expectStep(s, i));
    expect(got).toHaveLength(4);
    expect(push(ring, 4)).toBe(true);
  });

  it('refuses vectors that do not fit the contract, and a capacity that is not a power of two', () => {
    const ring = StepRing.create(contract, 4);
    expect(() =>
      ring.push(0, { episode: 0, step: 0, time: 0, receivedAt: 0, obs: new Float32Array(28) }, actionAt(0), 0),
    ).toThrow(/expected a step of 29 obs and 2 action values, got 28 and 2/);
    expect(() => StepRing.create(contract, 6)).toThrow(/power of two, got 6/);
  });

  it('sizes the ring by a memory budget: most steps for small observations, fewer for big ones', () => {
    // A navigate step: (8 header + 29 obs + 2 x 2 action) float64 = 328 bytes.
    expect(StepRing.capacityFor(contract, 32 * 1024 * 1024, 65536)).toBe(65536);
    expect(StepRing.capacityFor(contract, 328 * 5000, 65536)).toBe(4096);
    expect(StepRing.capacityFor(contract, 328 * 4095, 65536)).toBe(2048);
    const big = { obs: [{ name: 'image', size: 64 * 64, unit: '1', low: 0, high: 1 }], action: contract.action };
    expect(StepRing.capacityFor(big as typeof contract, 32 * 1024 * 1024, 65536)).toBe(1024);
  });

  it('carries steps to a reader on another thread through shared memory alone', async () => {
    const ring = StepRing.create(contract, 16);
    const n = 300;
    // The reader (the real StepRing, on a worker thread) drains on its own clock, as the recorder
    // thread does, and sends back what it read once it has all of it.
    const module = new URL('../../src/bridge/recorder-protocol.ts', import.meta.url).href;
    const reader = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(module)}); }).then(({ StepRing }) => {
         const ring = new StepRing(workerData);
         const got = [];
         const t = setInterval(() => {
           ring.drain((s) => got.push(s));
           if (got.length >= ${n}) { clearInterval(t); parentPort.postMessage(got); }
         }, 2);
       });`,
      { eval: true, workerData: ring.buffers },
    );
    try {
      let refused = 0;
      for (let k = 0; k < n; k++) {
        while (!push(ring, k)) {
          refused++;
          await new Promise((r) => setTimeout(r, 1));
        }
      }
      const got = await new Promise<RecordedStep[]>((resolve, reject) => {
        reader.once('message', resolve);
        reader.once('error', reject);
      });
      expect(got).toHaveLength(n);
      got.forEach((s, i) => expectStep(s, i));
      // 300 steps through 16 slots: the writer outran the reader and had to wait for it.
      expect(refused).toBeGreaterThan(0);
    } finally {
      await reader.terminate();
    }
  });
});
