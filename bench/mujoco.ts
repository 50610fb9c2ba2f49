/**
 * MuJoCo inside the emulated robot vs raw mj_step. Each round runs a block of control steps of the
 * reality env (a MuJoCo profile: engine, task instance, gap wrappers), then the same number of bare
 * mj_step calls on a second copy of the very same model (compiled from the episode's snapshot, which
 * carries its MJCF) continuing from the same state; the median of per-round ratios is reported, so
 * machine noise hits both sides alike.
 */
import type { Rapier } from '../src/sim/rapier.js';
import type { Scenario } from '../src/sim/scenario-schema.js';
import { loadReality, makeRealEnv } from '../src/sim/reality.js';
import { taskEnvOf } from '../src/sim/make-env.js';
import { Rng } from '../src/sim/rng.js';
import { compileMjcf, loadMujoco } from '../src/sim/mujoco/mujoco.js';
import { applySnapshot, readSnapshot } from '../src/sim/mujoco/snapshot.js';
import { median } from './table.js';

export interface MujocoRow {
  reality: string;
  /** Control steps/s of the reality env (random actions). */
  envStepsPerS: number;
  /** Physics steps/s inside env.step(). */
  physicsStepsPerSInEnv: number;
  /** Bare mj_step calls/s on the same model. */
  rawMjStepsPerS: number;
  ratio: number;
}

export async function mujocoOverhead(
  R: Rapier,
  sc: Scenario,
  realityFile: string,
  seconds: number,
): Promise<MujocoRow> {
  const mj = await loadMujoco();
  const reality = loadReality(realityFile);
  const env = await makeRealEnv(R, sc, reality, { file: realityFile });
  const task = taskEnvOf(env);
  task.onWarn = () => {};
  const rng = new Rng(2);
  const sub = sc.control.substeps;
  const block = 20;
  const inEnv: number[] = [];
  const raw: number[] = [];
  const ratios: number[] = [];
  const t0 = performance.now();
  let seed = 0;
  try {
    while (performance.now() - t0 < seconds * 1000 || ratios.length < 5) {
      env.reset({ seed: seed++ });
      for (let round = 0; round < 5; round++) {
        const actions = Array.from({ length: block }, () => env.actionSpace.sample(rng));
        let t = performance.now();
        let ended = false;
        for (const a of actions) {
          const r = env.step(a);
          if (r.terminated || r.truncated) ended = true;
        }
        const envRate = (block * sub) / ((performance.now() - t) / 1000);
        const snap = readSnapshot(task.getState().snapshot);
        const model = compileMjcf(mj, snap.xml);
        const data = new mj.MjData(model);
        applySnapshot(snap, data);
        t = performance.now();
        for (let k = 0; k < block * sub; k++) mj.mj_step(model, data);
        const rawRate = (block * sub) / ((performance.now() - t) / 1000);
        data.delete();
        model.delete();
        inEnv.push(envRate);
        raw.push(rawRate);
        ratios.push(envRate / rawRate);
        if (ended) break;
      }
    }
  } finally {
    env.close();
  }
  return {
    reality: reality.name,
    envStepsPerS: median(inEnv) / sub,
    physicsStepsPerSInEnv: median(inEnv),
    rawMjStepsPerS: median(raw),
    ratio: median(ratios),
  };
}
