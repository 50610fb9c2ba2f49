/** Reading a YAML file the user named, with one-line `file: expected X, got Y` errors. */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { InputError } from './errors.js';

export function readInputFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(
      `${file}: expected a readable ${what}, got ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

export function parseYamlText(text: string, file: string): unknown {
  try {
    return parseYaml(text);
  } catch (e) {
    throw new InputError(`${file}: expected YAML, got a syntax error: ${(e as Error).message.split('\n')[0]}`);
  }
}
