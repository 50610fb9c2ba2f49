/** Deterministic fake episodes for the episode-file tests (and the crash-test child process). */
import type { Contract } from '../../src/sim/contract.js';
import type { ScenePrimitive } from '../../src/sim/task.js';
import { nominalPhysics } from '../../src/sim/physics-params.js';
import {
  EpisodeWriter,
  type EpisodeStartInput,
  type EpisodeWriterOptions,
  type StepInput,
} from '../../src/episodes/writer.js';

export const CONTRACT: Contract = {
  obs: [
    { name: 'pos', size: 3, unit: 'm', low: -2, high: 2 },
    { name: 'vel', size: 3, unit: 'm/s', low: -5, high: 5 },
  ],
  action: [{ name: 'force', size: 2, unit: '1', low: -1, high: 1 }],
};

export const CONTROL_HZ = 20;

export function startFor(index: number): EpisodeStartInput {
  return {
    index,
    scenario: 'fake-scenario',
    task: 'grasp',
    seed: 1000 + index,
    source: index % 3 === 2 ? 'real' : 'sim',
    policyId: 'expert:fake',
    contract: CONTRACT,
    controlHz: CONTROL_HZ,
    physics: { ...nominalPhysics(), friction: 0.8 + 0.01 * index },
    randomization: { obs_noise: { bias: [0.01 * index, -0.02] } },
    taskState: { target: [0.1 * index, 0.2, 0.3], grasped: false },
  };
}

/** Episode `index` has 5 + 3·index steps; success for even indices. */
export const lengthOf = (index: number): number => 5 + 3 * index;
export const successOf = (index: number): boolean => index % 2 === 0;

export function stepFor(index: number, t: number): StepInput {
  const obs = new Float32Array(6).map((_, i) => Math.sin(index * 7.1 + t * 0.37 + i) * 1.9);
  const action = new Float32Array([Math.cos(t * 0.1), -0.3 + 0.01 * index]);
  const step: StepInput = {
    obs,
    action,
    appliedAction: action.map((a) => Math.max(-0.5, Math.min(0.5, a))),
    reward: 0.25 * t - 0.1 * index,
    terminated: t === lengthOf(index) - 1 && successOf(index),
    truncated: t === lengthOf(index) - 1 && !successOf(index),
    trueObs: obs.map((x) => x - 0.01),
  };
  if (index % 2 === 1) step.expertAction = new Float32Array([0.123456789, -1 / 3]);
  if (index % 3 === 2) step.latencyMs = 1.5 + t;
  return step;
}

export function sceneFor(index: number, t: number): ScenePrimitive[] {
  return [
    {
      id: 'base',
      shape: 'cylinder',
      position: [0, 0, 0.05],
      orientation: [0, 0, 0, 1],
      size: [0.2, 0.2, 0.1],
      color: [0.5, 0.5, 0.5, 1],
    },
    {
      id: 'cube',
      shape: 'cube',
      position: [0.3, 0.01 * t, 0.02],
      orientation: [0, 0, Math.sin(0.1 * index), Math.cos(0.1 * index)],
      size: [0.04, 0.04, 0.04],
      color: [1, 0, 0, 1],
    },
    {
      id: 'target',
      shape: 'sphere',
      position: [0.1 * index, 0.2, 0.3],
      orientation: [0, 0, 0, 1],
      size: [0.02, 0.02, 0.02],
      color: [0, 1, 0, 0.5],
    },
  ];
}

/** Bytes standing in for a Rapier snapshot (the round-trip test uses a real one). */
export function fakeSnapshot(index: number): Uint8Array {
  return new Uint8Array(3000 + index).map((_, i) => (i * 31 + index) & 0xff);
}

/** Write fixture episodes `0..n-1` to `path` and close it. */
export async function writeFixtureFile(
  path: string,
  n: number,
  opts: { snapshot?: (index: number) => Uint8Array } & EpisodeWriterOptions = {},
): Promise<void> {
  const w = await EpisodeWriter.open(path, opts);
  for (let index = 0; index < n; index++) {
    w.startEpisode(startFor(index), (opts.snapshot ?? fakeSnapshot)(index), sceneFor(index, 0));
    for (let t = 0; t < lengthOf(index); t++) w.writeStep(stepFor(index, t), () => sceneFor(index, t + 1));
    await w.endEpisode({ success: successOf(index) });
  }
  await w.close();
}

/** Fixture step `t` of episode `index` as the reader should return it. */
export function expectedStep(index: number, t: number) {
  const s = stepFor(index, t);
  const f32 = (v: ArrayLike<number> | undefined) => (v === undefined ? undefined : Float32Array.from(v));
  return {
    step: t,
    time: t / CONTROL_HZ,
    obs: f32(s.obs)!,
    action: f32(s.action)!,
    appliedAction: f32(s.appliedAction)!,
    reward: s.reward,
    terminated: s.terminated,
    truncated: s.truncated,
    ...(s.trueObs ? { trueObs: f32(s.trueObs) } : {}),
    ...(s.expertAction ? { expertAction: f32(s.expertAction) } : {}),
    ...(s.latencyMs !== undefined ? { latencyMs: s.latencyMs } : {}),
  };
}
