/**
 * Running one episode: an actor drives an env from reset to termination or truncation, and every
 * step can be handed to a recorder (an MCAP episode writer). Used by collection and evaluation.
 */
import type { Env, Json } from '../sim/env.js';
import type { TaskEnv } from '../sim/task-env.js';
import type { Rng } from '../sim/rng.js';
import type { EpisodeSource } from '../episodes/types.js';
import type { EpisodeWriter, StepInput } from '../episodes/writer.js';

export interface Actor {
  /** Which policy acts, for the episode log: `expert:grasp`, a checkpoint id, ... */
  readonly id: string;
  reset(): void;
  /** Normalised action for this observation; `task` gives experts their privileged state. */
  act(obs: Float32Array, task: TaskEnv): Float32Array;
}

/** Where a rollout's episodes go (an EpisodeWriter; a real-robot recorder later). */
export type Recorder = Pick<EpisodeWriter, 'startEpisode' | 'writeStep' | 'endEpisode'>;

export interface RolloutOptions {
  seed: number;
  index: number;
  source?: EpisodeSource;
  recorder?: Recorder;
  /** DART-style noise: gaussian std added to the actor's action; the clean action is logged as the label. */
  actionNoise?: number;
  noiseRng?: Rng;
}

export interface RolloutResult {
  success: boolean;
  return: number;
  length: number;
  terminated: boolean;
  truncated: boolean;
}

export async function rollout(env: Env, task: TaskEnv, actor: Actor, opts: RolloutOptions): Promise<RolloutResult> {
  const reset = env.reset({ seed: opts.seed });
  actor.reset();
  const rec = opts.recorder;
  const scene = () => task.scene();
  if (rec) {
    const state = task.getState();
    rec.startEpisode(
      {
        index: opts.index,
        scenario: task.scenario.name,
        scenarioSpec: task.scenario,
        task: task.scenario.task,
        seed: reset.info.seed,
        source: opts.source ?? 'sim',
        policyId: actor.id,
        contract: env.contract,
        controlHz: env.controlHz,
        physics: reset.info.physics,
        randomization: reset.info.randomization,
        taskState: state.task as Json,
      },
      state.snapshot,
      scene,
    );
  }
  let obs = reset.obs;
  let trueObs = reset.info.trueObs;
  let ret = 0;
  let t = 0;
  let success = false;
  const noise = opts.actionNoise ?? 0;
  for (;;) {
    const clean = actor.act(obs, task);
    let sent = clean;
    if (noise > 0) {
      if (!opts.noiseRng) throw new Error('rollout: actionNoise needs noiseRng');
      sent = new Float32Array(clean.length);
      for (let i = 0; i < clean.length; i++)
        sent[i] = Math.max(-1, Math.min(1, clean[i] + opts.noiseRng.normal(0, noise)));
    }
    const r = env.step(sent);
    ret += r.reward;
    if (rec) {
      const msg: StepInput = {
        obs,
        action: sent,
        appliedAction: r.info.appliedAction,
        reward: r.reward,
        terminated: r.terminated,
        truncated: r.truncated,
      };
      if (trueObs) msg.trueObs = trueObs;
      if (noise > 0) msg.expertAction = clean;
      rec.writeStep(msg, scene);
    }
    t++;
    obs = r.obs;
    trueObs = r.info.trueObs;
    if (r.terminated || r.truncated) {
      success = r.info.success;
      const result = { success, return: ret, length: t, terminated: r.terminated, truncated: r.truncated };
      if (rec) await rec.endEpisode(result);
      return result;
    }
  }
}
