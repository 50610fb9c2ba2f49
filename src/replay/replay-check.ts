/**
 * Replay by state: restore an episode's logged initial snapshot (Rapier's, or MuJoCo's for an
 * episode recorded in a MuJoCo reality), re-apply the actions the robot applied, and measure how far
 * the re-simulated observations drift from the logged ones.
 */
import type { Rapier } from '../sim/rapier.js';
import type { PhysicsEngine } from '../sim/engine.js';
import { isMujocoSnapshot } from '../sim/mujoco/snapshot.js';
import type { Scenario } from '../sim/scenario-schema.js';
import { TaskEnv } from '../sim/task-env.js';
import type { Episode } from '../episodes/types.js';

export interface ReplayCheck {
  steps: number;
  /** Largest |re-simulated − logged| over all observation elements and steps. */
  maxAbsDiff: number;
  /** First step whose observation differs at all, or null. */
  firstDivergentStep: number | null;
  /** Largest difference per step (index 0 = the restored initial observation). */
  perStep: number[];
  /** The observation component where the largest difference occurred. */
  worstComponent: string | null;
}

function maxDiff(a: Float32Array, b: Float32Array): { d: number; at: number } {
  let d = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const x = Math.abs(a[i] - b[i]);
    if (x > d || Number.isNaN(x)) {
      d = Number.isNaN(x) ? Infinity : x;
      at = i;
    }
  }
  return { d, at };
}

function componentAt(sc: Scenario, index: number): string {
  let k = 0;
  for (const c of sc.contract.obs) {
    if (index < k + c.size) return `${c.name}[${index - k}]`;
    k += c.size;
  }
  return `obs[${index}]`;
}

/** The engine that can restore an episode's snapshot: Rapier, or MuJoCo (loaded on demand). */
export async function replayEngine(R: Rapier, ep: Episode): Promise<Rapier | PhysicsEngine> {
  if (!isMujocoSnapshot(ep.snapshot)) return R;
  const [{ loadMujoco }, { MujocoEngine }] = await Promise.all([
    import('../sim/mujoco/mujoco.js'),
    import('../sim/mujoco/engine.js'),
  ]);
  // The snapshot carries its model's MJCF, settings included: the engine needs no profile.
  return new MujocoEngine(await loadMujoco());
}

/** `engine`: what replayEngine() returns for the episode. */
export function replayCheck(engine: Rapier | PhysicsEngine, sc: Scenario, ep: Episode): ReplayCheck {
  if (ep.snapshot.length === 0 || !ep.start.physics)
    throw new Error(
      `episode ${ep.start.index}: no initial snapshot was logged (a real-robot episode?): replay by state needs a sim episode`,
    );
  const env = new TaskEnv(engine, sc);
  env.onWarn = () => {};
  try {
    const logged = (t: number) => ep.steps[t].trueObs ?? ep.steps[t].obs;
    const perStep: number[] = [];
    let worst = { d: 0, at: -1 };
    const note = (d: { d: number; at: number }) => {
      perStep.push(d.d);
      if (d.d > worst.d) worst = d;
    };
    const obs0 = env.setState({ snapshot: ep.snapshot, physics: ep.start.physics!, task: ep.start.taskState });
    if (ep.steps.length > 0) note(maxDiff(obs0, logged(0)));
    for (let t = 0; t + 1 < ep.steps.length; t++) {
      const r = env.step(ep.steps[t].appliedAction);
      note(maxDiff(r.obs, logged(t + 1)));
    }
    const first = perStep.findIndex((d) => d > 0);
    return {
      steps: ep.steps.length,
      maxAbsDiff: perStep.length ? Math.max(...perStep) : 0,
      firstDivergentStep: first < 0 ? null : first,
      perStep,
      worstComponent: worst.at >= 0 ? componentAt(sc, worst.at) : null,
    };
  } finally {
    env.close();
  }
}
