/**
 * A checkpoint directory as the files a `deploy` message carries, and back: the deployer reads them,
 * the server writes them into a private temp dir before loading (no ZeroMQ here, so the CLI loads
 * the socket library only for commands that talk to a server).
 */
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, relative, sep } from 'node:path';

/** All files under a checkpoint directory, keyed by relative path (forward slashes). */
export function checkpointFiles(dir: string): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p).split(sep).join('/')] = new Uint8Array(readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

/** Write deployed files into a fresh temp dir (refusing paths that escape it); returns the dir. */
export function writeCheckpointFiles(files: Record<string, Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sim2real-deploy-'));
  for (const [name, data] of Object.entries(files)) {
    const rel = normalize(name);
    if (rel.startsWith('..') || rel.startsWith(sep) || rel.includes(`..${sep}`)) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`files: expected paths inside the checkpoint, got ${JSON.stringify(name)}`);
    }
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), data);
  }
  return dir;
}
