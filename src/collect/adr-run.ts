/**
 * Automatic domain randomization driven by the scripted expert: episodes run under the ADR
 * controller's current ranges; its state is saved atomically after every episode so a killed run
 * resumes where it stopped.
 */
import { simEngine } from '../sim/training-engine.js';
import { renameSync, writeFileSync } from 'node:fs';
import type { Rapier } from '../sim/rapier.js';
import type { Scenario } from '../sim/scenario-schema.js';
import { Adr } from '../sim/adr.js';
import { AdrSchema } from '../sim/scenario-schema.js';
import { makeEnv, taskEnvOf } from '../sim/make-env.js';
import { rollout, type Actor } from '../rollout/rollout.js';

export interface AdrRunOptions {
  episodes: number;
  seed?: number;
  /** Where the ADR state is saved (JSON). */
  statePath: string;
  /** Continue from this state instead of starting narrow. */
  resume?: Adr;
  onEpisode?: (e: { index: number; success: boolean; return: number; length: number; openMean: number }) => void;
}

function freshAdr(sc: Scenario): Adr {
  const cfg = sc.adr ?? AdrSchema.parse({});
  const restitution = (sc.world as { restitution?: number }).restitution ?? 0;
  return Adr.fresh(sc.randomization, cfg, restitution);
}

function saveAdr(adr: Adr, path: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(adr.toJSON(), null, 1));
  renameSync(tmp, path);
}

export async function runAdr(R: Rapier, sc: Scenario, actor: Actor, opts: AdrRunOptions): Promise<Adr> {
  const adr = opts.resume ?? freshAdr(sc);
  const env = makeEnv(await simEngine(R, sc, true), sc, { adr });
  const task = taskEnvOf(env);
  task.onWarn = () => {};
  const seed = opts.seed ?? 0;
  try {
    const start = adr.state.episodes;
    for (let i = start; i < start + opts.episodes; i++) {
      const r = await rollout(env, task, actor, { seed: seed + i, index: i });
      saveAdr(adr, opts.statePath);
      const fr = Object.values(adr.openFractions());
      opts.onEpisode?.({
        index: i,
        success: r.success,
        return: r.return,
        length: r.length,
        openMean: fr.reduce((a, b) => a + (b ?? 0), 0) / Math.max(1, fr.length),
      });
    }
  } finally {
    env.close();
  }
  return adr;
}
