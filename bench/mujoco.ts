/**
 * MuJoCo inside the emulated robot vs raw mj_step: the reality env of a MuJoCo profile (engine, task
 * instance, gap wrappers) against bare mj_step calls on a second copy of the very same model
 * (compiled from the episode's snapshot, which carries its MJCF) from the same state (env-vs-raw.ts).
 */
import type { Rapier } from '../src/sim/rapier.js';
import type { Scenario } from '../src/sim/scenario-schema.js';
import { loadReality, makeRealEnv } from '../src/sim/reality.js';
import { taskEnvOf } from '../src/sim/make-env.js';
import { compileMjcf, loadMujoco } from '../src/sim/mujoco/mujoco.js';
import { applySnapshot, readSnapshot } from '../src/sim/mujoco/snapshot.js';
import { envVsRaw, type EnvVsRaw } from './env-vs-raw.js';

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
  const sub = sc.control.substeps;
  let r: EnvVsRaw;
  try {
    r = envVsRaw(env, sub, seconds, (n) => {
      // A second copy of the same model and state: the snapshot carries its MJCF.
      const snap = readSnapshot(task.getState().snapshot);
      const model = compileMjcf(mj, snap.xml);
      const data = new mj.MjData(model);
      applySnapshot(snap, data);
      const t = performance.now();
      for (let k = 0; k < n; k++) mj.mj_step(model, data);
      const rate = n / ((performance.now() - t) / 1000);
      data.delete();
      model.delete();
      return rate;
    });
  } finally {
    env.close();
  }
  return {
    reality: reality.name,
    envStepsPerS: r.inEnv / sub,
    physicsStepsPerSInEnv: r.inEnv,
    rawMjStepsPerS: r.raw,
    ratio: r.ratio,
  };
}
