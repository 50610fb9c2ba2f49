/** Worker thread of a VectorEnv: owns a slice of the envs and steps them on command. */
import { parentPort, workerData } from 'node:worker_threads';
import { loadRapier } from './rapier.js';
import { makeEnv } from './make-env.js';
import { simEngine } from './training-engine.js';
import type { Env } from './env.js';
import type { Scenario } from './scenario-schema.js';
import {
  COMMAND,
  Command,
  DONE,
  FLAG_SUCCESS,
  FLAG_TERMINATED,
  FLAG_TRUNCATED,
  REMAINING,
  type WorkerInit,
  waitForBatch,
} from './vector-layout.js';

const init = workerData as WorkerInit;
const R = await loadRapier(init.rapier);
const engine = await simEngine(R, init.scenario as Scenario, init.randomize);
const envs: Env[] = [];
for (let i = 0; i < init.count; i++) {
  const env = makeEnv(engine, init.scenario as Scenario, { randomize: init.randomize, maxSteps: init.maxSteps });
  (env.unwrapped as { onWarn?: (m: string) => void }).onWarn = () => {};
  envs.push(env);
}
const control = new Int32Array(init.buffers.control);
const actions = new Float32Array(init.buffers.actions);
const obs = new Float32Array(init.buffers.obs);
const finalObs = new Float32Array(init.buffers.finalObs);
const rewards = new Float32Array(init.buffers.rewards);
const flags = new Uint8Array(init.buffers.flags);
const { obsSize, actSize, first } = init;
// One view per env, made once: a subarray per step is an allocation per env step.
const actionViews = envs.map((_, k) => actions.subarray((first + k) * actSize, (first + k + 1) * actSize));
parentPort!.postMessage('ready');

/** The last finisher of a batch reports it done and wakes the main thread. */
function finishBatch(seq: number): void {
  if (Atomics.sub(control, REMAINING, 1) === 1) {
    Atomics.store(control, DONE, seq);
    Atomics.notify(control, DONE);
  }
}

let last = 0;
for (;;) {
  last = waitForBatch(control, last);
  const c = Atomics.load(control, COMMAND) as Command;
  if (c === Command.Close) break;
  for (let k = 0; k < envs.length; k++) {
    const i = first + k;
    const env = envs[k];
    if (c === Command.Reset) {
      obs.set(env.reset({ seed: init.seed + i }).obs, i * obsSize);
      flags.fill(0, 3 * i, 3 * i + 3);
      rewards[i] = 0;
      continue;
    }
    const r = env.step(actionViews[k]);
    rewards[i] = r.reward;
    flags[3 * i + FLAG_TERMINATED] = r.terminated ? 1 : 0;
    flags[3 * i + FLAG_TRUNCATED] = r.truncated ? 1 : 0;
    flags[3 * i + FLAG_SUCCESS] = r.info.success ? 1 : 0;
    if (r.terminated || r.truncated) {
      // Same-step autoreset: the final observation goes to finalObs (for bootstrapping on truncation).
      finalObs.set(r.obs, i * obsSize);
      obs.set(env.reset().obs, i * obsSize);
    } else {
      obs.set(r.obs, i * obsSize);
    }
  }
  finishBatch(last);
}
for (const env of envs) env.close();
finishBatch(last);
