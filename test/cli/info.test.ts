/** `sim2real info` through the built CLI: backend choice, its reason, and the versions a bug report needs. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sim2real } from './helpers.js';

function pkgVersion(dir: string): string {
  return (JSON.parse(readFileSync(`node_modules/${dir}/package.json`, 'utf8')) as { version: string }).version;
}

const SEMVER = /^\d+\.\d+\.\d+/;

describe('sim2real info', () => {
  it('--json lists the backend, why, and the versions', async () => {
    const r = await sim2real(['info', '--json'], { timeoutMs: 300_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.backend.name).toBe('wasm');
    expect(info.backend.package).toBe('@tensorflow/tfjs-backend-wasm');
    expect(info.backend.reason).toMatch(/@tensorflow\/tfjs-node: not installed/);
    expect(info.tfjs).toBe(pkgVersion('@tensorflow/tfjs'));
    expect(info.tfjsBackendWasm).toBe(pkgVersion('@tensorflow/tfjs-backend-wasm'));
    expect(info.tfjsNode).toBeNull();
    expect(info.tfjsNodeGpu).toBeNull();
    expect(info.rapier).toEqual({
      version: pkgVersion('@dimforge/rapier3d-simd-compat'),
      build: 'simd',
      package: '@dimforge/rapier3d-simd-compat',
      packageVersion: pkgVersion('@dimforge/rapier3d-simd-compat'),
    });
    expect(info.zeromq.package).toBe(pkgVersion('zeromq'));
    expect(info.zeromq.libzmq).toMatch(SEMVER);
    expect(typeof info.zeromq.curve).toBe('boolean');
    expect(info.msgpackr).toBe(pkgVersion('msgpackr'));
    expect(info.node).toBe(process.versions.node);
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(info.sim2real.startsWith(`${version}+`)).toBe(true);
  });

  it('prints a readable table and honours --backend cpu', async () => {
    const r = await sim2real(['info', '--backend', 'cpu'], { timeoutMs: 300_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^tfjs backend\s+cpu via @tensorflow\/tfjs: asked for \(--backend cpu\)$/m);
    expect(r.stdout).toMatch(/^rapier\s+\d+\.\d+\.\d+ \(simd build/m);
    expect(r.stdout).toMatch(/^zeromq\s+\d+\.\d+\.\d+ \(libzmq \d+\.\d+\.\d+, CURVE (yes|no)\)$/m);
  });

  it('--backend tensorflow without tfjs-node fails in one line saying how to fix it (exit 1)', async () => {
    const r = await sim2real(['info', '--backend', 'tensorflow'], { timeoutMs: 300_000 });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^sim2real: error: backend tensorflow: no native TensorFlow .*npm install @tensorflow\/tfjs-node/,
    );
  });

  it('an unknown --backend is bad input (exit 2)', async () => {
    const r = await sim2real(['info', '--backend', 'gpu'], { timeoutMs: 300_000 });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--backend.*expected tensorflow \| wasm \| cpu, got "gpu"/);
  });
});
