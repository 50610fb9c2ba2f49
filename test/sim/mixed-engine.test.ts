/**
 * Mixed-engine training (randomization.mujoco): a fraction of randomized episodes run in MuJoCo with
 * contact settings drawn per episode; the choice depends on the seed only and never moves the start state.
 * And a MuJoCo model refused for a settings field is blamed on that field.
 */
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/sim/scenario-file.js';
import { loadRapier } from '../../src/sim/rapier.js';
import { makeEnv, taskEnvOf } from '../../src/sim/make-env.js';
import { simEngine } from '../../src/sim/training-engine.js';
import { isMujocoSnapshot } from '../../src/sim/mujoco/snapshot.js';
import { MujocoEngine } from '../../src/sim/mujoco/engine.js';
import { loadMujoco } from '../../src/sim/mujoco/mujoco.js';
import { defaultMujocoSettings, type MujocoSettings } from '../../src/sim/mujoco/settings.js';
import { TaskEnv } from '../../src/sim/task-env.js';
import type { Scenario } from '../../src/sim/scenario-schema.js';

function mixed(file: string, fraction: number): Scenario {
  const sc = loadScenario(file);
  return {
    ...sc,
    randomization: { ...sc.randomization, mujoco: { fraction, solref_timeconst: [0.01, 0.03], condim: [3, 4] } },
  } as Scenario;
}

describe('mixed-engine training', () => {
  it.each(['scenarios/grasp-cube.yaml', 'scenarios/navigate-obstacles.yaml'])(
    '%s: about the asked fraction of episodes runs in MuJoCo, chosen by the seed; the start state is the same in both',
    async (file) => {
      const R = await loadRapier();
      const sc = mixed(file, 0.4);
      const engines = async () => {
        const env = makeEnv(await simEngine(R, sc, true), sc, { randomize: true });
        const task = taskEnvOf(env);
        task.onWarn = () => {};
        const out: boolean[] = [];
        for (let seed = 0; seed < 40; seed++) {
          env.reset({ seed });
          out.push(isMujocoSnapshot(task.getState().snapshot));
        }
        env.close();
        return out;
      };
      const first = await engines();
      expect(await engines()).toEqual(first);
      const n = first.filter(Boolean).length;
      expect(n).toBeGreaterThan(6);
      expect(n).toBeLessThan(26);
      // Without randomization every episode is Rapier's.
      expect(await simEngine(R, sc, false)).toBe(R);

      // A seed starts from the same state whichever engine its episode runs in: the mixed env's first
      // observation matches the Rapier-only env's (same physics, noise and delays drawn) within the
      // engines' difference.
      const plain = makeEnv(R, loadScenario(file), { randomize: true });
      const mixedEnv = makeEnv(await simEngine(R, sc, true), sc, { randomize: true });
      taskEnvOf(plain).onWarn = () => {};
      taskEnvOf(mixedEnv).onWarn = () => {};
      for (const seed of [first.indexOf(true), first.indexOf(false)]) {
        const a = mixedEnv.reset({ seed }).info.trueObs ?? mixedEnv.reset({ seed }).obs;
        const b = plain.reset({ seed }).info.trueObs ?? plain.reset({ seed }).obs;
        for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i]), `obs[${i}] seed ${seed}`).toBeLessThan(2e-3);
      }
      mixedEnv.close();
      plain.close();
    },
  );

  it('a refused model names the mujoco: field that causes it', async () => {
    const sc = loadScenario('scenarios/grasp-cube.yaml');
    const bad: MujocoSettings = defaultMujocoSettings();
    // Past the profile's validation (a library caller): MuJoCo refuses condim 2.
    (bad.contact as { condim: number }).condim = 2;
    const env = new TaskEnv(new MujocoEngine(await loadMujoco(), bad, 'cell.yaml'), sc);
    expect(() => env.reset({ seed: 0 })).toThrow(
      /^cell\.yaml:mujoco\.contact\.condim: MuJoCo refused the model with 2/,
    );
    env.close();
  });
});
