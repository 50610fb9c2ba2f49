/**
 * The shipped MuJoCo realities: they build their env on MuJoCo, are the same task (the scripted
 * expert on true state succeeds through the whole gap), and record which engine ran them.
 */
import { describe, expect, it } from 'vitest';
import { loadReality, makeRealEnv } from '../../src/sim/reality.js';
import { loadScenario } from '../../src/sim/scenario-file.js';
import { loadRapier } from '../../src/sim/rapier.js';
import { taskEnvOf } from '../../src/sim/make-env.js';
import { expertActor } from '../../src/rollout/expert-actor.js';
import { rollout } from '../../src/rollout/rollout.js';
import { isMujocoSnapshot } from '../../src/sim/mujoco/snapshot.js';

const PROFILES = ['scenarios/reality/grasp-cube-mujoco.yaml', 'scenarios/reality/navigate-obstacles-mujoco.yaml'];

describe('shipped MuJoCo realities', () => {
  it.each(PROFILES)('%s: runs in MuJoCo and the expert on true state succeeds in 20 of 20 episodes', async (file) => {
    const reality = loadReality(file);
    expect(reality.engine).toBe('mujoco');
    const sc = loadScenario(`scenarios/${reality.scenario}.yaml`);
    const env = await makeRealEnv(await loadRapier(), sc, reality, { file });
    const task = taskEnvOf(env);
    task.onWarn = () => {};
    expect(task.engineName).toBe('mujoco');
    const actor = expertActor(sc);
    let successes = 0;
    try {
      for (let i = 0; i < 20; i++) {
        const r = await rollout(env, task, actor, { seed: 500 + i, index: i });
        if (r.success) successes++;
        if (i === 0) expect(isMujocoSnapshot(task.getState().snapshot)).toBe(true);
      }
    } finally {
      env.close();
    }
    expect(successes).toBe(20);
  });
});
