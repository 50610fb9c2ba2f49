/**
 * `sim2real info [--json] [--backend tensorflow|wasm|cpu]`: which tfjs backend this machine gets and
 * why, and the versions of everything a bug report needs (tfjs, Rapier, ZeroMQ, msgpackr, Node).
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendChoice, BackendName } from '../policy/models/backend.js';
import { codeVersion } from '../policy/checkpoints/version.js';
import { loadRapier } from '../sim/rapier.js';

export interface InfoReport {
  sim2real: string;
  node: string;
  platform: string;
  backend: BackendChoice;
  tfjs: string;
  tfjsBackendWasm: string | null;
  /** Optional native backends (peer dependencies): their versions, or null when not installed. */
  tfjsNode: string | null;
  tfjsNodeGpu: string | null;
  rapier: { version: string; build: 'simd'; package: string; packageVersion: string | null };
  zeromq: { package: string | null; libzmq: string; curve: boolean } | { error: string };
  msgpackr: string | null;
}

/** The version in a dependency's package.json, found from where Node resolves it; null if absent. */
function packageVersion(name: string): string | null {
  let entry: string | null = null;
  try {
    entry = fileURLToPath(import.meta.resolve(name));
  } catch {
    try {
      entry = createRequire(import.meta.url).resolve(name);
    } catch {
      return null;
    }
  }
  for (let dir = dirname(entry); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const json = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string; version?: string };
        if (json.name === name && json.version) return json.version;
      } catch {
        // A package.json we cannot read: keep walking up.
      }
    }
    if (dirname(dir) === dir) return null;
  }
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

async function collectInfo(prefer?: BackendName): Promise<InfoReport> {
  // tfjs takes most of a second to import: only this command pays for it, not the whole CLI.
  const { initBackend } = await import('../policy/models/backend.js');
  const backend = await initBackend(prefer);
  const tf = await import('@tensorflow/tfjs');
  let wasmVersion: string | null;
  try {
    wasmVersion = (await import('@tensorflow/tfjs-backend-wasm')).version_wasm;
  } catch {
    wasmVersion = null;
  }
  const R = await loadRapier('simd');
  let zeromq: InfoReport['zeromq'];
  try {
    const zmq = await import('zeromq');
    zeromq = { package: packageVersion('zeromq'), libzmq: zmq.version, curve: zmq.capability.curve === true };
  } catch (e) {
    zeromq = { error: `zeromq did not load: ${message(e)}` };
  }
  return {
    sim2real: codeVersion(),
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`,
    backend,
    tfjs: tf.version.tfjs,
    tfjsBackendWasm: wasmVersion,
    tfjsNode: packageVersion('@tensorflow/tfjs-node'),
    tfjsNodeGpu: packageVersion('@tensorflow/tfjs-node-gpu'),
    rapier: {
      version: R.version(),
      build: 'simd',
      package: '@dimforge/rapier3d-simd-compat',
      packageVersion: packageVersion('@dimforge/rapier3d-simd-compat'),
    },
    zeromq,
    msgpackr: packageVersion('msgpackr'),
  };
}

function printInfo(r: InfoReport): void {
  const rows: [string, string][] = [
    ['sim2real', r.sim2real],
    ['node', `${r.node} (${r.platform})`],
    ['tfjs backend', `${r.backend.name} via ${r.backend.package}: ${r.backend.reason}`],
    ['tfjs', r.tfjs],
    ['tfjs-backend-wasm', r.tfjsBackendWasm ?? 'did not load'],
    ['tfjs-node', r.tfjsNode ?? 'not installed (optional: `npm install @tensorflow/tfjs-node` for the native backend)'],
    ['tfjs-node-gpu', r.tfjsNodeGpu ?? 'not installed (optional)'],
    ['rapier', `${r.rapier.version} (${r.rapier.build} build, ${r.rapier.package})`],
    [
      'zeromq',
      'error' in r.zeromq
        ? r.zeromq.error
        : `${r.zeromq.package ?? '?'} (libzmq ${r.zeromq.libzmq}, CURVE ${r.zeromq.curve ? 'yes' : 'no'})`,
    ],
    ['msgpackr', r.msgpackr ?? 'not found'],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
}

function backendOption(raw: string): BackendName {
  if (raw === 'tensorflow' || raw === 'wasm' || raw === 'cpu') return raw;
  throw new InvalidArgumentError(`expected tensorflow | wasm | cpu, got "${raw}"`);
}

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description(
      'the tfjs backend this machine uses (and why) and the versions of tfjs, Rapier, ZeroMQ, msgpackr and Node',
    )
    .option('--backend <name>', 'tfjs backend to load instead of the ladder (tensorflow | wasm | cpu)', backendOption)
    .option('--json', 'print the report as JSON')
    .action(async (o: { backend?: BackendName; json?: boolean }) => {
      const report = await collectInfo(o.backend);
      if (o.json) console.log(JSON.stringify(report, null, 2));
      else printInfo(report);
    });
}
