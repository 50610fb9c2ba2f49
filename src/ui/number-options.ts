/** Parsers for numeric CLI options that fail with `--flag: expected X, got Y` (exit 2). */
import { InvalidArgumentError } from 'commander';

function parser(kind: string, ok: (n: number) => boolean) {
  return (raw: string): number => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || !ok(n))
      throw new InvalidArgumentError(`expected ${kind}, got "${raw}"`);
    return n;
  };
}

export const positiveInt = parser('a positive integer', (n) => Number.isInteger(n) && n >= 1);
export const nonNegativeInt = parser('a non-negative integer', (n) => Number.isInteger(n) && n >= 0);
export const nonNegativeNumber = parser('a non-negative number', (n) => n >= 0);
export const positiveNumber = parser('a positive number', (n) => n > 0);
