/**
 * Where sim2real's own files (scenarios/, the built-in reality profiles) are, wherever it runs from:
 * this checkout (src/ under tsx, dist/src/ built) or an installed package (node_modules/sim2real).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'sim2real') return dir;
    if (dirname(dir) === dir)
      throw new Error(`sim2real: cannot find its own package.json above ${fileURLToPath(import.meta.url)}`);
  }
}

let root: string | null = null;

/** The folder holding sim2real's package.json. */
export function packageRoot(): string {
  return (root ??= findRoot());
}
