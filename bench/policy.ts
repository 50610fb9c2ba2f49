/**
 * Policy inference speed: single-observation latency of `policy.act(obs)` (the Float32Array fast
 * path: normalise → MLP → tanh) against a raw tfjs `model.predict` of the same actor network
 * (tf.tidy + dataSync, batch 1), measured in the same run in alternating blocks so that machine noise
 * hits both alike; percentiles come from the sorted per-call samples. Also batch throughput
 * (actBatch vs predict on 64 observations). The raw predict leaves out normalisation and tanh, so
 * the comparison is, if anything, unfair to the fast path.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendChoice, type BackendName } from '../src/policy/models/backend.js';
import { DEFAULT_ARCHITECTURE, GaussianMlpPolicy } from '../src/policy/models/gaussian-policy.js';
import { bounds, totalSize, type Contract } from '../src/sim/contract.js';
import { loadScenario } from '../src/sim/scenario-file.js';
import { Rng } from '../src/sim/rng.js';
import { median, printTable } from './table.js';

const SCENARIOS = ['scenarios/navigate-obstacles.yaml', 'scenarios/grasp-cube.yaml'];
const SIZES = [[64, 64], [128, 128], DEFAULT_ARCHITECTURE.hidden];
/** One control step at 500 Hz, in µs. */
const BUDGET_500HZ_US = 2000;
const BATCH = 64;
/** Observations cycled through, so no call sees the same input twice in a row. */
const POOL = 256;
const BLOCK = 200;

export interface Latency {
  p50Us: number;
  p99Us: number;
  meanUs: number;
  maxUs: number;
  samples: number;
}

export interface PolicyBenchRow {
  scenario: string;
  obsSize: number;
  actSize: number;
  hidden: number[];
  /** DEFAULT_ARCHITECTURE.hidden: the network `sim2real train` builds. */
  isDefault: boolean;
  act: Latency;
  predict: Latency;
  /** act p50 / predict p50 (below 1: the fast path is faster). */
  ratioP50: number;
  /** predict p50 / act p50. */
  speedupP50: number;
  /** act p99 fits one 500 Hz control period (2000 µs). */
  actFits500Hz: boolean;
  predictFits500Hz: boolean;
  batch: { size: number; actBatchObsPerS: number; predictObsPerS: number; ratio: number };
}

export interface PolicyBenchReport {
  suite: 'policy';
  backend: BackendChoice;
  tfjs: string;
  /** How the wasm backend runs here (null on other backends). */
  wasm: { simd: boolean; threads: number } | null;
  rows: PolicyBenchRow[];
}

function latency(samples: number[]): Latency {
  const s = Float64Array.from(samples).sort();
  const pct = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
  let sum = 0;
  for (const v of s) sum += v;
  return { p50Us: pct(50), p99Us: pct(99), meanUs: sum / s.length, maxUs: s[s.length - 1], samples: s.length };
}

/** Observations spread over the contract's ranges (uniform in [low, high], Gaussian where unbounded). */
function observationPool(contract: Contract, n: number, rng: Rng): Float32Array {
  const { low, high } = bounds(contract.obs);
  const d = low.length;
  const out = new Float32Array(n * d);
  for (let i = 0; i < out.length; i++) {
    const lo = low[i % d];
    const hi = high[i % d];
    out[i] = Number.isFinite(lo) && Number.isFinite(hi) ? rng.uniform(lo, hi) : rng.normal();
  }
  return out;
}

function measureRow(file: string, hidden: number[], seconds: number): PolicyBenchRow {
  const sc = loadScenario(file);
  const obsSize = totalSize(sc.contract.obs);
  const actSize = totalSize(sc.contract.action);
  const policy = new GaussianMlpPolicy(`bench-${sc.name}`, sc.contract, { ...DEFAULT_ARCHITECTURE, hidden });
  const rng = new Rng(hidden[0] * 7 + obsSize);
  const pool = observationPool(sc.contract, POOL, rng);
  policy.normalizer.update(pool, POOL);
  const rows = Array.from({ length: POOL }, (_, k) => pool.subarray(k * obsSize, (k + 1) * obsSize));
  const model = policy.actor;
  let sink = 0; // keeps results alive so nothing is optimised away

  const act = (k: number) => {
    sink += policy.act(rows[k % POOL])[0];
  };
  const predict = (k: number) => {
    const x = rows[k % POOL];
    sink += tf.tidy(() => (model.predict(tf.tensor2d(x, [1, obsSize])) as tf.Tensor).dataSync()[0]);
  };
  const timedBlock = (f: (k: number) => void, into: number[], start: number) => {
    for (let k = 0; k < BLOCK; k++) {
      const t = performance.now();
      f(start + k);
      into.push((performance.now() - t) * 1000);
    }
  };

  // Warm-up: JIT tiers for the fast path, kernel setup and weight upload for tfjs.
  const warm = performance.now();
  for (let k = 0; performance.now() - warm < 300 || k < 1000; k++) {
    act(k);
    predict(k);
  }

  const actUs: number[] = [];
  const predictUs: number[] = [];
  const t0 = performance.now();
  for (let round = 0; performance.now() - t0 < 2 * seconds * 1000 || actUs.length < 20 * BLOCK; round++) {
    timedBlock(act, actUs, round * BLOCK);
    timedBlock(predict, predictUs, round * BLOCK);
  }

  // Batch throughput: alternating windows of actBatch and predict on the same 64 observations.
  const batchObs = pool.slice(0, BATCH * obsSize);
  const actBatchWindow = (ms: number) => {
    let n = 0;
    const t = performance.now();
    while (performance.now() - t < ms) {
      sink += policy.actBatch(batchObs, BATCH)[0];
      n += BATCH;
    }
    return n / ((performance.now() - t) / 1000);
  };
  const predictWindow = (ms: number) => {
    let n = 0;
    const t = performance.now();
    while (performance.now() - t < ms) {
      sink += tf.tidy(() => (model.predict(tf.tensor2d(batchObs, [BATCH, obsSize])) as tf.Tensor).dataSync()[0]);
      n += BATCH;
    }
    return n / ((performance.now() - t) / 1000);
  };
  actBatchWindow(100);
  predictWindow(100);
  const ab: number[] = [];
  const pb: number[] = [];
  const ratios: number[] = [];
  const windowMs = Math.max(20, (seconds * 1000) / 8);
  for (let k = 0; k < 8; k++) {
    ab.push(actBatchWindow(windowMs));
    pb.push(predictWindow(windowMs));
    ratios.push(ab[k] / pb[k]);
  }

  policy.dispose();
  if (!Number.isFinite(sink)) throw new Error('bench policy: non-finite policy output');
  const a = latency(actUs);
  const p = latency(predictUs);
  return {
    scenario: sc.name,
    obsSize,
    actSize,
    hidden,
    isDefault: hidden.join() === DEFAULT_ARCHITECTURE.hidden.join(),
    act: a,
    predict: p,
    ratioP50: a.p50Us / p.p50Us,
    speedupP50: p.p50Us / a.p50Us,
    actFits500Hz: a.p99Us <= BUDGET_500HZ_US,
    predictFits500Hz: p.p99Us <= BUDGET_500HZ_US,
    batch: { size: BATCH, actBatchObsPerS: median(ab), predictObsPerS: median(pb), ratio: median(ratios) },
  };
}

export async function benchPolicy(opts: {
  seconds: number;
  json: boolean;
  backend?: BackendName;
}): Promise<PolicyBenchReport> {
  const backend = await initBackend(opts.backend);
  const log = (s: string) => opts.json || process.stderr.write(`bench policy: ${s}\n`);
  log(`tfjs ${tf.version.tfjs}, backend ${backend.name} (${backend.reason})`);
  const rows: PolicyBenchRow[] = [];
  for (const file of SCENARIOS) {
    for (const hidden of SIZES) {
      log(`${file} hidden ${hidden.join('x')}`);
      rows.push(measureRow(file, hidden, opts.seconds));
    }
  }
  let wasm: PolicyBenchReport['wasm'] = null;
  if (backend.name === 'wasm') {
    const { getThreadsCount } = await import('@tensorflow/tfjs-backend-wasm');
    wasm = { simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), threads: getThreadsCount() };
  }
  const report: PolicyBenchReport = { suite: 'policy', backend, tfjs: tf.version.tfjs, wasm, rows };
  if (opts.json) {
    console.log(JSON.stringify(report, null, 2));
    return report;
  }
  const how = wasm ? ` (SIMD ${wasm.simd ? 'on' : 'off'}, ${wasm.threads} thread${wasm.threads === 1 ? '' : 's'})` : '';
  console.log(`tfjs ${tf.version.tfjs} on the ${backend.name} backend${how}; Node ${process.versions.node}\n`);
  printTable(
    [
      'policy',
      'obs→act',
      'hidden',
      'act p50 µs',
      'act p99 µs',
      'predict p50 µs',
      'predict p99 µs',
      'act/predict p50',
      'speedup',
      '500 Hz act/predict',
      `batch${BATCH} actBatch obs/s`,
      'predict obs/s',
      'actBatch/predict',
    ],
    rows.map((r) => [
      r.scenario,
      `${r.obsSize}→${r.actSize}`,
      `${r.hidden.join('x')}${r.isDefault ? ' (default)' : ''}`,
      r.act.p50Us,
      r.act.p99Us,
      r.predict.p50Us,
      r.predict.p99Us,
      r.ratioP50,
      `${r.speedupP50.toFixed(1)}x`,
      `${r.actFits500Hz ? 'yes' : 'NO'} / ${r.predictFits500Hz ? 'yes' : 'NO'}`,
      r.batch.actBatchObsPerS,
      r.batch.predictObsPerS,
      r.batch.ratio,
    ]),
  );
  const n = rows.reduce((k, r) => Math.min(k, r.act.samples), Infinity);
  console.log(
    `\nact = policy.act(obs), deterministic (normalise → MLP on Float32Arrays → tanh); predict = raw tfjs actor.predict of the same network ` +
      `(tf.tidy + tensor2d + dataSync, batch 1, no normalisation or tanh). Percentiles of ≥${n} calls each, alternating blocks of ${BLOCK}; ` +
      `500 Hz = p99 ≤ ${BUDGET_500HZ_US} µs. Batch: ${BATCH} observations per call, median of 8 alternating windows.`,
  );
  return report;
}
