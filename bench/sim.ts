/**
 * Simulator throughput. The overhead ratio alternates blocks of env.step() and of raw world.step()
 * on the same world (restored from the same snapshot) and reports the median of the per-round
 * ratios, so machine noise hits both sides alike.
 */
import { loadRapier, type Rapier, type RapierFlavor } from '../src/sim/rapier.js';
import { loadScenario } from '../src/sim/scenario-file.js';
import { makeEnv } from '../src/sim/make-env.js';
import { TaskEnv } from '../src/sim/task-env.js';
import { VectorEnv } from '../src/sim/vector-env.js';
import { Rng } from '../src/sim/rng.js';
import type { Scenario } from '../src/sim/scenario-schema.js';
import { median, printTable } from './table.js';
import { mujocoOverhead, type MujocoRow } from './mujoco.js';
import { envVsRaw, type EnvVsRaw } from './env-vs-raw.js';

const SCENARIOS = ['scenarios/grasp-cube.yaml', 'scenarios/navigate-obstacles.yaml'];
/** The MuJoCo reality of each scenario (engine: mujoco), measured against raw mj_step. */
const MUJOCO_REALITY: Record<string, string> = {
  'grasp-cube': 'scenarios/reality/grasp-cube-mujoco.yaml',
  'navigate-obstacles': 'scenarios/reality/navigate-obstacles-mujoco.yaml',
};
const VECTOR_ENVS = 64;

interface SimRow {
  scenario: string;
  singleEnvStepsPerS: number;
  vector1StepsPerS: number;
  vector2StepsPerS: number;
  workerScaling: number;
  physicsStepsPerSInEnv: number;
  rawWorldStepsPerS: number;
  overheadRatio: number;
  rawSimdStepsPerS: number;
  rawCompatStepsPerS: number;
}

function singleEnvRate(R: Rapier, sc: Scenario, seconds: number): number {
  const env = makeEnv(R, sc);
  (env.unwrapped as TaskEnv).onWarn = () => {};
  const rng = new Rng(1);
  env.reset({ seed: 0 });
  let steps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    for (let k = 0; k < 20; k++) {
      const r = env.step(env.actionSpace.sample(rng));
      steps++;
      if (r.terminated || r.truncated) env.reset();
    }
  }
  const rate = steps / ((performance.now() - t0) / 1000);
  env.close();
  return rate;
}

/** Physics steps/s inside env.step() vs bare world.step() on the very same world (env-vs-raw.ts). */
function overhead(R: Rapier, sc: Scenario, seconds: number): EnvVsRaw {
  const env = new TaskEnv(R, sc);
  env.onWarn = () => {};
  try {
    return envVsRaw(env, sc.control.substeps, seconds, (n) => {
      const world = env.physicsWorld;
      const t = performance.now();
      for (let k = 0; k < n; k++) world.step();
      return n / ((performance.now() - t) / 1000);
    });
  } finally {
    env.close();
  }
}

function rawRate(R: Rapier, sc: Scenario, seconds: number): number {
  const env = new TaskEnv(R, sc);
  const rates: number[] = [];
  const t0 = performance.now();
  let seed = 0;
  while (performance.now() - t0 < seconds * 1000 || rates.length < 3) {
    env.reset({ seed: seed++ });
    const world = env.physicsWorld;
    const n = 200 * sc.control.substeps;
    const t = performance.now();
    for (let k = 0; k < n; k++) world.step();
    rates.push(n / ((performance.now() - t) / 1000));
  }
  env.close();
  return median(rates);
}

/**
 * Vector-env throughput with 1 and 2 workers, measured in alternating windows (1w, 2w, 1w, ...) so
 * that machine noise hits both alike; rates and the scaling are medians over the windows.
 */
async function vectorRates(
  sc: Scenario,
  numEnvs: number,
  seconds: number,
): Promise<{ w1: number; w2: number; scaling: number }> {
  const venvs = [
    await VectorEnv.create({ scenario: sc, numEnvs, workers: 1, seed: 0 }),
    await VectorEnv.create({ scenario: sc, numEnvs, workers: 2, seed: 0 }),
  ];
  const rng = new Rng(3);
  const window = async (v: VectorEnv, ms: number): Promise<number> => {
    const actions = new Float32Array(numEnvs * v.actSize);
    let steps = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < ms) {
      for (let i = 0; i < actions.length; i++) actions[i] = rng.uniform(-1, 1);
      await v.step(actions);
      steps += numEnvs;
    }
    return steps / ((performance.now() - t0) / 1000);
  };
  try {
    for (const v of venvs) {
      await v.reset();
      await window(v, 300); // warm-up: JIT and WASM tiers
    }
    const r1: number[] = [];
    const r2: number[] = [];
    const ratios: number[] = [];
    const rounds = 8;
    for (let k = 0; k < rounds; k++) {
      r1.push(await window(venvs[0], (seconds * 1000) / rounds));
      r2.push(await window(venvs[1], (seconds * 1000) / rounds));
      ratios.push(r2[k] / r1[k]);
    }
    return { w1: median(r1), w2: median(r2), scaling: median(ratios) };
  } finally {
    for (const v of venvs) await v.close();
  }
}

export async function benchSim(opts: { seconds: number; json: boolean; scenario?: string }): Promise<void> {
  const simd = await loadRapier('simd');
  const compat = await loadRapier('compat' as RapierFlavor);
  const rows: SimRow[] = [];
  const mjRows: MujocoRow[] = [];
  for (const file of opts.scenario ? [opts.scenario] : SCENARIOS) {
    const sc = loadScenario(file);
    const log = (s: string) => opts.json || process.stderr.write(`bench sim: ${sc.name}: ${s}\n`);
    log('single env');
    singleEnvRate(simd, sc, 0.5);
    const single = singleEnvRate(simd, sc, opts.seconds);
    log('overhead vs raw world.step()');
    const ov = overhead(simd, sc, opts.seconds);
    log('raw world.step(): simd vs compat');
    const rs = rawRate(simd, sc, opts.seconds);
    const rc = rawRate(compat, sc, opts.seconds);
    log('vector env, 1 and 2 workers');
    const vec = await vectorRates(sc, VECTOR_ENVS, 3 * opts.seconds);
    const mjReality = MUJOCO_REALITY[sc.name];
    if (mjReality) {
      log(`MuJoCo reality (${mjReality}) vs raw mj_step`);
      mjRows.push(await mujocoOverhead(simd, sc, mjReality, opts.seconds));
    }
    rows.push({
      scenario: sc.name,
      singleEnvStepsPerS: single,
      vector1StepsPerS: vec.w1,
      vector2StepsPerS: vec.w2,
      workerScaling: vec.scaling,
      physicsStepsPerSInEnv: ov.inEnv,
      rawWorldStepsPerS: ov.raw,
      overheadRatio: ov.ratio,
      rawSimdStepsPerS: rs,
      rawCompatStepsPerS: rc,
    });
  }
  if (opts.json) {
    console.log(JSON.stringify({ suite: 'sim', rows, mujoco: mjRows }, null, 2));
    return;
  }
  printTable(
    [
      'scenario',
      'env steps/s',
      'vec 1w',
      'vec 2w',
      '2w/1w',
      'phys/s in env',
      'raw world.step/s',
      'ratio (goal ≥0.75)',
      'simd/compat',
    ],
    rows.map((r) => [
      r.scenario,
      r.singleEnvStepsPerS,
      r.vector1StepsPerS,
      r.vector2StepsPerS,
      r.workerScaling,
      r.physicsStepsPerSInEnv,
      r.rawWorldStepsPerS,
      r.overheadRatio,
      r.rawSimdStepsPerS / r.rawCompatStepsPerS,
    ]),
  );
  console.log(
    `\nvector env: ${VECTOR_ENVS} envs, random actions, median of alternating windows; raw rates are world.step() on the scenario world (simd vs compat Rapier builds).`,
  );
  if (mjRows.length) {
    console.log('');
    printTable(
      ['MuJoCo reality', 'env steps/s', 'mj_step/s in env', 'raw mj_step/s', 'ratio'],
      mjRows.map((r) => [r.reality, r.envStepsPerS, r.physicsStepsPerSInEnv, r.rawMjStepsPerS, r.ratio]),
    );
    console.log(
      '\nMuJoCo: the emulated robot (reality env with its gap) vs bare mj_step on a copy of the same model and state; median of per-round ratios.',
    );
  }
}
