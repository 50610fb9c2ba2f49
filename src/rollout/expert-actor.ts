/** A scripted expert as an Actor: it ignores the observation and reads privileged state. */
import type { Scenario } from '../sim/scenario-schema.js';
import { makeExpert } from '../sim/tasks/experts.js';
import type { Actor } from './rollout.js';

export function expertActor(sc: Scenario): Actor {
  const expert = makeExpert(sc);
  return {
    id: `expert:${sc.task}`,
    reset: () => expert.reset(),
    act: (_obs, task) => expert.act(task.privileged()),
  };
}
