/** Where a policy lives on disk: a run directory (its `policy/`) or a checkpoint directory itself. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Contract } from '../../sim/contract.js';
import { loadCheckpoint, type LoadedCheckpoint } from './checkpoint.js';

export function resolvePolicyDir(path: string): string {
  return existsSync(join(path, 'policy.json'))
    ? path
    : existsSync(join(path, 'policy', 'policy.json'))
      ? join(path, 'policy')
      : path;
}

export function loadPolicyDir(path: string, expect?: { contract: Contract; what: string }): Promise<LoadedCheckpoint> {
  return loadCheckpoint(resolvePolicyDir(path), expect);
}
