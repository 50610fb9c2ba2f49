/**
 * Commands that never open a socket (collect, train, eval, ...) do not load ZeroMQ: its exit handler
 * waits for the context to terminate and prints a warning when that takes long on a busy machine,
 * which would put a stray line on their stderr.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const COMMANDS = fileURLToPath(new URL('../../dist/src/cli/commands.js', import.meta.url));
const SERVER = fileURLToPath(new URL('../../dist/src/bridge/server.js', import.meta.url));

const zeromqLoadedAfter = (module: string): boolean =>
  execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { createRequire } from 'node:module'; await import(${JSON.stringify(module)}); console.log(Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes('/zeromq/')));`,
    ],
    { encoding: 'utf8' },
  ).trim() === 'true';

it('the command table loads without ZeroMQ; the policy server loads it', () => {
  expect(zeromqLoadedAfter(COMMANDS)).toBe(false);
  // The check itself sees ZeroMQ when it is loaded.
  expect(zeromqLoadedAfter(SERVER)).toBe(true);
});
