/**
 * "Real" demonstrations on the emulated robot: the scripted expert, acting from privileged state as
 * a teleoperator watching the robot would, drives the reality env (`makeRealEnv`, the same world
 * `robot emulate` runs) and the episodes are written as MCAP with source `real` and the expert's
 * action on every step (`expertAction`), so `finetune --mode bc` and `train bc` can learn from them.
 *
 * - `expert` (default): the expert drives (optionally with DART noise on the executed action).
 * - `dagger`: a policy drives and the expert's action for every visited state is logged as the
 *   label (DAgger on the robot: the corrections the policy needs where it actually goes).
 *
 * Episode i uses seed `seed + i`; the default seed keeps real episodes away from the seeds of sim
 * demonstrations (0, 1, ...), DAgger rounds (2,000,000+) and evaluation (1,000,000+).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Scenario } from '../sim/scenario-schema.js';
import { loadRapier } from '../sim/rapier.js';
import { makeRealEnv, type Reality } from '../sim/reality.js';
import { taskEnvOf } from '../sim/make-env.js';
import { Rng } from '../sim/rng.js';
import { EpisodeWriter } from '../episodes/writer.js';
import { wilson, type SuccessStats } from '../episodes/summary.js';
import type { Policy } from '../policy/models/policy.js';
import { InputError } from '../errors.js';
import { rollout, type Actor, type Recorder } from '../rollout/rollout.js';
import { expertActor } from '../rollout/expert-actor.js';
import { compensatorFor } from '../sim/delay-compensator.js';
import { withDelayCompensation } from '../rollout/delay-compensated-actor.js';
import { policyActor } from '../policy/evaluate.js';
import { SEED_BANDS } from '../seeds.js';

export const DEFAULT_REAL_SEED = SEED_BANDS.robotDemos;

export type RealDemoMode = 'expert' | 'dagger';

export interface RealDemoOptions {
  scenario: Scenario;
  reality: Reality;
  /** Where the profile came from, for error messages (default: its name). */
  realityFile?: string;
  episodes: number;
  /** Directory the MCAP file is written into (created if missing). */
  out: string;
  /** Episode i uses seed + i (default DEFAULT_REAL_SEED). */
  seed?: number;
  mode?: RealDemoMode;
  /** `dagger`: the policy that drives (deterministic actions). */
  policy?: Pick<Policy, 'id' | 'act' | 'delayCompensation'>;
  /** `expert`: DART-style gaussian noise on the executed action, normalised units (default 0). */
  expertNoise?: number;
  /** Write `/scene` every k steps (default 1; 0: episode starts only). */
  sceneEvery?: number;
  onEpisode?: (e: { index: number; seed: number; success: boolean; return: number; length: number }) => void;
}

export interface RealDemoResult extends SuccessStats {
  file: string;
  reality: string;
  mode: RealDemoMode;
  /** Who drove: the expert's or the policy's id. */
  driver: string;
  steps: number;
  seconds: number;
}

function realDemoFile(out: string, sc: Scenario, reality: Reality, seed: number): string {
  return join(out, `${sc.name}-real-${reality.name}-seed${seed}.mcap`);
}

export async function recordRealDemos(opts: RealDemoOptions): Promise<RealDemoResult> {
  const t0 = performance.now();
  const { scenario: sc, reality, episodes } = opts;
  const mode = opts.mode ?? 'expert';
  const seed = opts.seed ?? DEFAULT_REAL_SEED;
  const noise = opts.expertNoise ?? 0;
  if (!Number.isInteger(episodes) || episodes < 1)
    throw new InputError(`--episodes: expected a positive integer, got ${episodes}`);
  if (mode === 'dagger' && !opts.policy)
    throw new InputError('real demonstrations in dagger mode: expected a policy to drive, got none');
  if (mode === 'dagger' && noise > 0)
    throw new InputError('--expert-noise: only applies when the expert drives (mode expert)');
  const file = realDemoFile(opts.out, sc, reality, seed);
  if (existsSync(file))
    throw new InputError(`${file}: expected a new file, got an existing one (use another --out or --seed)`);

  const R = await loadRapier();
  // Built before the output exists: a profile its engine refuses leaves nothing behind.
  const env = await makeRealEnv(R, sc, reality, { file: opts.realityFile });
  env.reset({ seed });
  mkdirSync(opts.out, { recursive: true });
  const task = taskEnvOf(env);
  task.onWarn = () => {};
  const expert = expertActor(sc);
  // The expert is asked on every step even when the policy drives: its answer is the label, and its
  // phase logic (grasp: approach, descend, close, lift) has to follow the whole episode.
  let label: Float32Array = new Float32Array(0);
  const driver = mode === 'dagger' ? opts.policy!.id : expert.id;
  // A driving policy that compensates a loop delay acts on its prediction, as it does when served.
  const policy =
    mode === 'dagger'
      ? withDelayCompensation(policyActor(opts.policy!), compensatorFor(opts.policy!.delayCompensation, sc))
      : null;
  const actor: Actor = {
    id: driver,
    reset: () => {
      expert.reset();
      policy?.reset();
    },
    act(obs, t) {
      label = expert.act(obs, t);
      return policy ? policy.act(obs, t) : label;
    },
  };
  let successes = 0;
  let sumReturn = 0;
  let steps = 0;
  let writer: EpisodeWriter | undefined;
  try {
    const w = (writer = await EpisodeWriter.open(file, { sceneEvery: opts.sceneEvery ?? 1 }));
    const recorder: Recorder = {
      startEpisode: (...a) => w.startEpisode(...a),
      writeStep: (step, scene) => w.writeStep({ ...step, expertAction: label }, scene),
      endEpisode: (end) => w.endEpisode(end),
    };
    for (let i = 0; i < episodes; i++) {
      const s = seed + i;
      const r = await rollout(env, task, actor, {
        seed: s,
        index: i,
        source: 'real',
        recorder,
        actionNoise: noise,
        noiseRng: noise > 0 ? Rng.derive(s, 'expert-noise') : undefined,
      });
      successes += r.success ? 1 : 0;
      sumReturn += r.return;
      steps += r.length;
      opts.onEpisode?.({ index: i, seed: s, success: r.success, return: r.return, length: r.length });
    }
  } finally {
    await writer?.close();
    env.close();
  }
  return {
    file,
    reality: reality.name,
    mode,
    driver,
    episodes,
    successes,
    successRate: successes / episodes,
    successCi95: wilson(successes, episodes),
    meanReturn: sumReturn / episodes,
    meanLength: steps / episodes,
    steps,
    seconds: (performance.now() - t0) / 1000,
  };
}
