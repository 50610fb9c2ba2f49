/**
 * The TensorFlow.js backend ladder (DESIGN.md §5): `tensorflow` when `@tensorflow/tfjs-node-gpu` or
 * `@tensorflow/tfjs-node` is installed (optional peer dependencies), else `wasm`, else `cpu`.
 */
import * as tf from '@tensorflow/tfjs';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendChoice {
  name: BackendName;
  /** Why this one: which packages were found or missing, or that it was asked for. */
  reason: string;
  /** The package that provided it. */
  package: string;
}

let chosen: BackendChoice | null = null;

async function tryImport(name: string): Promise<boolean> {
  try {
    // A variable specifier: these packages are optional and usually absent.
    await import(name);
    return true;
  } catch {
    return false;
  }
}

async function tryTensorflow(): Promise<BackendChoice | null> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    if ((await tryImport(pkg)) && (await tf.setBackend('tensorflow'))) {
      return { name: 'tensorflow', package: pkg, reason: `${pkg} is installed` };
    }
  }
  return null;
}

async function tryWasm(): Promise<boolean> {
  return (await tryImport('@tensorflow/tfjs-backend-wasm')) && (await tf.setBackend('wasm').catch(() => false));
}

/**
 * Pick and initialise the backend once per process; `prefer` overrides the ladder (and fails if that
 * backend cannot load).
 */
export async function initBackend(prefer?: BackendName): Promise<BackendChoice> {
  if (chosen && (!prefer || prefer === chosen.name)) return chosen;
  let choice: BackendChoice | null = null;
  if (prefer === 'tensorflow') {
    choice = await tryTensorflow();
    if (!choice) throw new Error('backend tensorflow: expected @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node to be installed and loadable, got neither');
    choice.reason = `asked for (--backend tensorflow); ${choice.reason}`;
  } else if (prefer === 'wasm') {
    if (!(await tryWasm())) throw new Error('backend wasm: @tensorflow/tfjs-backend-wasm did not load');
    choice = { name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', reason: 'asked for (--backend wasm)' };
  } else if (prefer === 'cpu') {
    await tf.setBackend('cpu');
    choice = { name: 'cpu', package: '@tensorflow/tfjs', reason: 'asked for (--backend cpu)' };
  } else {
    choice = await tryTensorflow();
    if (!choice && (await tryWasm())) {
      choice = { name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', reason: 'neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed; wasm loaded' };
    }
    if (!choice) {
      await tf.setBackend('cpu');
      choice = { name: 'cpu', package: '@tensorflow/tfjs', reason: 'no native TensorFlow and the wasm backend did not load: plain JS (slowest)' };
    }
  }
  await tf.ready();
  chosen = choice;
  return choice;
}

export function parseBackend(raw: string): BackendName {
  if (raw === 'tensorflow' || raw === 'wasm' || raw === 'cpu') return raw;
  throw new Error(`--backend: expected tensorflow | wasm | cpu, got "${raw}"`);
}
