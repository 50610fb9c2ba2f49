/** Running the built `sim2real` binary the way a user does (npm test builds it first). */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the CLI to its end; killed after `timeoutMs` (a hang detector: 10 minutes unless told). */
export function sim2real(args: string[], opts: { timeoutMs?: number } = {}): Promise<RunResult> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` (npm test does it)`);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { timeout: opts.timeoutMs ?? 600_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The preload that lets a child kill itself at a point of its work (see kill-when.mjs). */
export const KILL_WHEN = fileURLToPath(new URL('./kill-when.mjs', import.meta.url));

/**
 * Start the CLI in the background. `killWhen`: the process SIGKILLs itself as soon as this file
 * exists (e.g. its first checkpoint), at the first turn of its own event loop after it appeared.
 */
export function spawnSim2real(args: string[], opts: { killWhen?: string } = {}): ChildProcess {
  const preload = opts.killWhen ? ['--import', KILL_WHEN] : [];
  const env = opts.killWhen ? { ...process.env, SIM2REAL_TEST_KILL_WHEN: opts.killWhen } : process.env;
  return spawn(process.execPath, [...preload, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
}
