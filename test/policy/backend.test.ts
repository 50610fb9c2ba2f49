/** The backend ladder on this machine: no tfjs-node installed, so wasm; cpu and tensorflow on request. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend, parseBackend } from '../../src/policy/models/backend.js';
import { InputError } from '../../src/errors.js';

/** A small op on the current backend, to show it computes. */
function matmul(): number[] {
  return tf.tidy(() =>
    Array.from(tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2])).dataSync()),
  );
}

// One process-wide choice: the cases run in order and each builds on the last.
describe('initBackend', () => {
  it('picks wasm when neither tfjs-node package is installed, and says so', async () => {
    const c = await initBackend();
    expect(c.name).toBe('wasm');
    expect(c.package).toBe('@tensorflow/tfjs-backend-wasm');
    expect(c.reason).toMatch(/@tensorflow\/tfjs-node: not installed/);
    expect(c.reason).toMatch(/@tensorflow\/tfjs-node-gpu: not installed/);
    expect(tf.getBackend()).toBe('wasm');
    expect(matmul()).toEqual([19, 22, 43, 50]);
    // Once chosen, later calls without a preference keep it.
    expect(await initBackend()).toBe(c);
  });

  it("prefer: 'cpu' switches to the plain JS backend", async () => {
    const c = await initBackend('cpu');
    expect(c).toMatchObject({ name: 'cpu', package: '@tensorflow/tfjs' });
    expect(c.reason).toMatch(/asked for/);
    expect(tf.getBackend()).toBe('cpu');
    expect(matmul()).toEqual([19, 22, 43, 50]);
    expect((await initBackend()).name).toBe('cpu');
  });

  it("prefer: 'tensorflow' fails with what is missing and how to fix it, and changes nothing", async () => {
    const err = (await initBackend('tensorflow').then(
      () => null,
      (e: unknown) => e,
    )) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/^backend tensorflow: no native TensorFlow/);
    expect(err.message).toContain('@tensorflow/tfjs-node: not installed');
    expect(err.message).toContain('npm install @tensorflow/tfjs-node');
    expect(err.message).toContain('--backend wasm');
    expect(tf.getBackend()).toBe('cpu');
  });

  it("prefer: 'wasm' switches back", async () => {
    const c = await initBackend('wasm');
    expect(c.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(matmul()).toEqual([19, 22, 43, 50]);
  });
});

describe('parseBackend', () => {
  it('accepts the three names and refuses others as bad input', () => {
    expect(['tensorflow', 'wasm', 'cpu'].map(parseBackend)).toEqual(['tensorflow', 'wasm', 'cpu']);
    expect(() => parseBackend('gpu')).toThrow(InputError);
    expect(() => parseBackend('gpu')).toThrow(/--backend: expected tensorflow \| wasm \| cpu, got "gpu"/);
  });
});
