/** CurveZMQ key files: `NAME.key` (secret, Z85) next to `NAME.pub` (public, Z85); allow-lists are .pub files. */
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { isZ85Key } from '../bridge/z85.js';

export function readKey(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new InputError(
      `${file}: expected a CurveZMQ key file, got ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const key =
    text
      .split('\n')
      .find((l) => l.trim() && !l.trim().startsWith('#'))
      ?.trim() ?? '';
  if (!isZ85Key(key))
    throw new InputError(`${file}: expected a 40-character Z85 CurveZMQ key, got ${JSON.stringify(key.slice(0, 50))}`);
  return key;
}

/** A key pair from a prefix: PREFIX.key and PREFIX.pub. */
export function readKeyPair(prefix: string): { publicKey: string; secretKey: string } {
  return { secretKey: readKey(`${prefix}.key`), publicKey: readKey(`${prefix}.pub`) };
}

/** Public keys from allow-list files: each a .pub file, or a list with one key per line. */
export function readAllowList(files: string[]): string[] {
  const keys: string[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (e) {
      throw new InputError(
        `${f}: expected an allow-list of CurveZMQ public keys, got ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
      .forEach((k, i) => {
        if (!isZ85Key(k))
          throw new InputError(
            `${f}:${i + 1}: expected a 40-character Z85 public key, got ${JSON.stringify(k.slice(0, 50))}`,
          );
        keys.push(k);
      });
  }
  return keys;
}
