/**
 * The TensorFlow.js backend ladder (docs/design.md, "Policies"): `tensorflow` when `@tensorflow/tfjs-node-gpu` or
 * `@tensorflow/tfjs-node` is installed (optional peer dependencies), else `wasm`, else `cpu`.
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { InputError } from '../../errors.js';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendChoice {
  name: BackendName;
  /** Why this one: which packages were found or missing, or that it was asked for. */
  reason: string;
  /** The package that provided it. */
  package: string;
}

let chosen: BackendChoice | null = null;

/** Whether Node can find the package at all (as opposed to finding it and failing to load it). */
function installed(name: string): boolean {
  const req = createRequire(import.meta.url);
  for (const spec of [name, `${name}/package.json`]) {
    try {
      req.resolve(spec);
      return true;
    } catch {
      // Try the next specifier.
    }
  }
  return false;
}

/** null when the package loaded, else why not ("not installed" or the load error). */
async function tryImport(name: string): Promise<string | null> {
  try {
    // A variable specifier: these packages are optional and usually absent.
    await import(name);
    return null;
  } catch (e) {
    return installed(name) ? `failed to load (${String((e as Error).message).split('\n')[0]})` : 'not installed';
  }
}

const NATIVE = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

/** The native backend, or null and why each native package was passed over. */
async function tryTensorflow(): Promise<{ choice: BackendChoice | null; why: string }> {
  const notes: string[] = [];
  for (const pkg of NATIVE) {
    const failed = await tryImport(pkg);
    if (failed) notes.push(`${pkg}: ${failed}`);
    else if (!(await tf.setBackend('tensorflow').catch(() => false)))
      notes.push(`${pkg}: loaded, but the tensorflow backend did not initialise`);
    else return { choice: { name: 'tensorflow', package: pkg, reason: `${pkg} is installed` }, why: '' };
  }
  return { choice: null, why: notes.join('; ') };
}

async function tryWasm(): Promise<boolean> {
  return (
    (await tryImport('@tensorflow/tfjs-backend-wasm')) === null && (await tf.setBackend('wasm').catch(() => false))
  );
}

/**
 * Pick and initialise the backend once per process; `prefer` overrides the ladder (and fails if that
 * backend cannot load).
 */
export async function initBackend(prefer?: BackendName): Promise<BackendChoice> {
  if (chosen && (!prefer || prefer === chosen.name)) return chosen;
  let choice: BackendChoice | null = null;
  if (prefer === 'tensorflow') {
    const native = await tryTensorflow();
    if (!native.choice) {
      throw new Error(
        `backend tensorflow: no native TensorFlow (${native.why}); install one (npm install @tensorflow/tfjs-node, or -gpu with CUDA) or use --backend wasm`,
      );
    }
    choice = { ...native.choice, reason: `asked for (--backend tensorflow); ${native.choice.reason}` };
  } else if (prefer === 'wasm') {
    if (!(await tryWasm())) throw new Error('backend wasm: @tensorflow/tfjs-backend-wasm did not load');
    choice = { name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', reason: 'asked for (--backend wasm)' };
  } else if (prefer === 'cpu') {
    await tf.setBackend('cpu');
    choice = { name: 'cpu', package: '@tensorflow/tfjs', reason: 'asked for (--backend cpu)' };
  } else {
    const native = await tryTensorflow();
    choice = native.choice;
    if (!choice && (await tryWasm())) {
      choice = {
        name: 'wasm',
        package: '@tensorflow/tfjs-backend-wasm',
        reason: `no native TensorFlow (${native.why}); wasm loaded`,
      };
    }
    if (!choice) {
      await tf.setBackend('cpu');
      choice = {
        name: 'cpu',
        package: '@tensorflow/tfjs',
        reason: `no native TensorFlow (${native.why}) and the wasm backend did not load: plain JS (slowest)`,
      };
    }
  }
  await tf.ready();
  chosen = choice;
  return choice;
}

export function parseBackend(raw: string): BackendName {
  if (raw === 'tensorflow' || raw === 'wasm' || raw === 'cpu') return raw;
  throw new InputError(`--backend: expected tensorflow | wasm | cpu, got "${raw}"`);
}
