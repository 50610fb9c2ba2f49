/** An actor that sees the delay-compensated observation (src/sim/delay-compensator.ts) and records what it sends. */
import type { DelayCompensator } from '../sim/delay-compensator.js';
import type { Actor } from './rollout.js';

/** `actor` fed compensated observations; what it returns is recorded as sent. Resets with the actor. */
export function withDelayCompensation(actor: Actor, comp: DelayCompensator | null): Actor {
  if (!comp) return actor;
  const buf = new Float32Array(comp.obsSize);
  return {
    id: actor.id,
    reset: () => {
      comp.reset();
      actor.reset();
    },
    act: (obs, task) => {
      const a = actor.act(comp.observe(obs, buf), task);
      comp.commanded(a);
      return a;
    },
  };
}
