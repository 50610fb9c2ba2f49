/**
 * A logged episode as a policy: it answers step k with the action sent at step k of the episode,
 * open-loop (whatever it observes), so a robot re-executes a recorded run. Past the end of the log
 * it answers with the scenario's safe action.
 */
import type { Contract } from '../sim/contract.js';
import type { Policy } from '../policy/models/policy.js';
import { readEpisodes } from '../episodes/reader.js';
import { InputError } from '../errors.js';

export interface StepAwarePolicy extends Policy {
  /** The action for control step `step` of the current episode. */
  actAt(step: number, obs: Float32Array): Float32Array;
}

export function isStepAware(p: Policy): p is StepAwarePolicy {
  return typeof (p as Partial<StepAwarePolicy>).actAt === 'function';
}

class ReplayPolicy implements StepAwarePolicy {
  constructor(
    readonly id: string,
    readonly contract: Contract,
    private readonly actions: Float32Array[],
    private readonly after: Float32Array,
  ) {}

  get length(): number {
    return this.actions.length;
  }

  actAt(step: number): Float32Array {
    return Float32Array.from(step >= 0 && step < this.actions.length ? this.actions[step] : this.after);
  }

  /** Without a step number a replay cannot know where it is: the first action. */
  act(): Float32Array {
    return this.actAt(0);
  }

  actBatch(_obs: Float32Array, n: number): Float32Array {
    const out = new Float32Array(n * this.after.length);
    for (let i = 0; i < n; i++) out.set(this.actAt(0), i * this.after.length);
    return out;
  }
}

export async function loadReplayPolicy(
  file: string,
  episode: number,
): Promise<{ policy: ReplayPolicy; scenario: { name: string; controlHz: number } }> {
  const { episodes } = await readEpisodes(file);
  const ep = episodes.find((e) => e.start.index === episode);
  if (!ep)
    throw new InputError(
      `${file}: expected an episode with index ${episode}, got indices ${episodes.map((e) => e.start.index).join(', ') || 'none'}`,
    );
  const spec = ep.start.scenarioSpec as { safe_action?: number[] } | undefined;
  const n = ep.steps[0]?.action.length ?? 0;
  const safe = Float32Array.from(spec?.safe_action ?? new Array(n).fill(0));
  const policy = new ReplayPolicy(
    `replay:${file}#${episode}`,
    ep.start.contract,
    ep.steps.map((s) => s.action),
    safe,
  );
  return { policy, scenario: { name: ep.start.scenario, controlHz: ep.start.controlHz } };
}
