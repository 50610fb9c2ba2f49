/** How the CLI turns failures into one line and an exit code (docs/design.md, "Errors"): 2 bad input, 1 runtime. */
import { InputError } from '../errors.js';

export { InputError };

function exitCodeFor(e: unknown): number {
  return e instanceof InputError || (e as { code?: string })?.code?.startsWith?.('commander.') ? 2 : 1;
}

export function reportError(e: unknown, verbose: boolean): number {
  const err = e instanceof Error ? e : new Error(String(e));
  const line = err.message.split('\n')[0];
  process.stderr.write(`sim2real: error: ${line}\n`);
  if (verbose && err.stack) process.stderr.write(`${err.stack}\n`);
  return exitCodeFor(e);
}
