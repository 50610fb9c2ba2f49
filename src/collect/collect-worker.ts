/** Worker thread of `collect`: runs the expert on its share of the episodes and writes one MCAP file. */
import { parentPort, workerData } from 'node:worker_threads';
import { loadRapier } from '../sim/rapier.js';
import { makeEnv, taskEnvOf } from '../sim/make-env.js';
import { simEngine } from '../sim/training-engine.js';
import { Rng } from '../sim/rng.js';
import type { Scenario } from '../sim/scenario-schema.js';
import { EpisodeWriter } from '../episodes/writer.js';
import { rollout } from '../rollout/rollout.js';
import { expertActor } from '../rollout/expert-actor.js';
import type { CollectWorkerInit, CollectWorkerMessage } from './collect-protocol.js';

const init = workerData as CollectWorkerInit;
const post = (m: CollectWorkerMessage) => parentPort!.postMessage(m);

try {
  const R = await loadRapier();
  const sc = init.scenario as Scenario;
  const engine = await simEngine(R, sc, init.randomize);
  const env = makeEnv(engine, sc, { randomize: init.randomize, compensateDelay: init.compensateDelay });
  const task = taskEnvOf(env);
  task.onWarn = () => {};
  const actor = expertActor(sc);
  const writer = await EpisodeWriter.open(init.file, { sceneEvery: init.sceneEvery });
  try {
    for (const index of init.indices) {
      const seed = init.seed + index;
      const r = await rollout(env, task, actor, {
        seed,
        index,
        recorder: writer,
        actionNoise: init.expertNoise,
        noiseRng: Rng.derive(seed, 'expert-noise'),
      });
      post({ type: 'episode', index, success: r.success, return: r.return, length: r.length });
    }
  } finally {
    await writer.close();
    env.close();
  }
  post({ type: 'done' });
} catch (e) {
  post({ type: 'error', message: (e as Error).message });
}
