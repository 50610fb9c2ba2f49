/**
 * Deploying a checkpoint over the network: its files travel inline in one `deploy` message; the
 * server writes them to a private temp dir, loads and checks them, and swaps the policy in.
 */
import * as zmq from 'zeromq';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { decodeServerMessage, encode } from './codec.js';
import { configureCurveClient, type CurveClientKeys } from './curve.js';
import { checkEndpoint, isIpv6 } from './endpoint.js';
import type { ServerMessage } from './messages.js';
import { InputError } from '../errors.js';

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

export interface DeployResult {
  policyId: string;
  policyVersion: number;
}

/** Send a checkpoint to a running server and wait for its verdict. */
export async function deployTo(server: string, dir: string, opts: { timeoutMs?: number; curve?: CurveClientKeys } = {}): Promise<DeployResult> {
  checkEndpoint(server, 'server', { bind: false });
  const sock = new zmq.Dealer({ linger: 0, ipv6: isIpv6(server) });
  if (opts.curve) configureCurveClient(sock, opts.curve);
  sock.connect(server);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  try {
    await sock.send(encode({ type: 'deploy', seq: 1, time: Date.now() / 1000, files: checkpointFiles(dir) }));
    const timer = setTimeout(() => sock.close(), timeoutMs);
    try {
      for await (const [frame] of sock) {
        const m: ServerMessage = decodeServerMessage(frame);
        if (m.type === 'deployed') return { policyId: m.policy_id, policyVersion: m.policy_version };
        // A refused checkpoint is the deployer's bad input; anything else is the server's doing.
        if (m.type === 'error') throw new (m.code === 'bad_policy' ? InputError : Error)(`${dir}: ${server} answered ${m.code}: ${m.message}`);
      }
    } finally {
      clearTimeout(timer);
    }
    throw new Error(`${server}: no answer to the deployment within ${timeoutMs} ms`);
  } finally {
    if (!sock.closed) sock.close();
  }
}
