/**
 * Starting a worker thread from a sibling module. From the build it is the sibling .js file; under
 * vitest/tsx we run from .ts sources, so the worker first registers the tsx loader and then
 * imports the .ts entry (Node 20 does not apply `--import` hooks to a worker's entry file).
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function startWorker(basename: string, from: string, options: WorkerOptions): Worker {
  if (!from.endsWith('.ts')) return new Worker(new URL(`./${basename}.js`, from), options);
  const entry = new URL(`./${basename}.ts`, from).href;
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { ...options, eval: true });
}
