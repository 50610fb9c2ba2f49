/**
 * Where a worker thread's entry file is. Under vitest/tsx we run from .ts sources and the worker
 * needs the tsx loader as well; from the build it is the sibling .js file.
 */
export function workerEntry(basename: string, from: string): { url: URL; execArgv: string[] } {
  const fromSource = from.endsWith('.ts');
  return {
    url: new URL(`./${basename}${fromSource ? '.ts' : '.js'}`, from),
    execArgv: fromSource ? ['--import', 'tsx'] : [],
  };
}
