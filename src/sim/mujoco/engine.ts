/**
 * MuJoCo as a PhysicsEngine (engine.ts): one compiled model per episode, generated as MJCF from the
 * scenario, the episode's physics parameters and the profile's MuJoCo settings.
 */
import type { EpisodeWorld, PhysicsEngine } from '../engine.js';
import type { PhysicsParams } from '../physics-params.js';
import { Rng } from '../rng.js';
import { InputError } from '../../errors.js';
import type { Scenario } from '../scenario-schema.js';
import type { TaskInstance } from '../task.js';
import { compileMjcf, MjcfError, type MjData, type MjModel, type Mujoco } from './mujoco.js';
import { defaultMujocoSettings, type MujocoSettings } from './settings.js';
import { applySnapshot, readSnapshot, takeSnapshot } from './snapshot.js';
import type { MujocoTaskDef } from './task.js';
import { MUJOCO_TASKS } from './tasks.js';

class MujocoEpisode implements EpisodeWorld {
  instance!: TaskInstance;
  constructor(
    private readonly mj: Mujoco,
    readonly xml: string,
    readonly model: MjModel,
    readonly data: MjData,
  ) {}
  step(): void {
    this.mj.mj_step(this.model, this.data);
  }
  snapshot(): Uint8Array {
    return takeSnapshot(this.xml, this.data);
  }
  free(): void {
    this.instance?.dispose?.();
    this.data.delete();
    this.model.delete();
  }
}

export class MujocoEngine implements PhysicsEngine {
  readonly name = 'mujoco' as const;

  /** `source` names where the settings came from (a profile file) in refusal messages. */
  constructor(
    readonly mj: Mujoco,
    readonly settings: MujocoSettings = defaultMujocoSettings(),
    readonly source = 'mujoco settings',
  ) {}

  private task(sc: Scenario): MujocoTaskDef {
    return MUJOCO_TASKS[sc.task] as MujocoTaskDef;
  }

  private open(xml: string): MujocoEpisode {
    const model = compileMjcf(this.mj, xml);
    try {
      return new MujocoEpisode(this.mj, xml, model, new this.mj.MjData(model));
    } catch (e) {
      model.delete();
      throw e;
    }
  }

  create(sc: Scenario, params: PhysicsParams, rng: Rng, dt: number): EpisodeWorld {
    const task = this.task(sc);
    const built = task.build(sc, params, rng, this.settings, dt);
    let ep: MujocoEpisode;
    try {
      ep = this.open(built.xml);
    } catch (e) {
      if (e instanceof MjcfError) throw this.explain(e, sc, params, dt);
      throw e;
    }
    try {
      ep.instance = task.bind(this.mj, ep.model, ep.data, sc, params, built.state, true);
    } catch (e) {
      ep.free();
      throw e;
    }
    return ep;
  }

  restore(sc: Scenario, params: PhysicsParams, snapshot: Uint8Array, taskState: unknown): EpisodeWorld {
    const snap = readSnapshot(snapshot);
    const ep = this.open(snap.xml);
    try {
      applySnapshot(snap, ep.data);
      this.mj.mj_forward(ep.model, ep.data);
      ep.instance = this.task(sc).bind(this.mj, ep.model, ep.data, sc, params, taskState, false);
    } catch (e) {
      ep.free();
      throw e;
    }
    return ep;
  }

  /**
   * A refused model, blamed on the profile field that causes it: each `mujoco:` field in turn is
   * put back to its default, and the first whose default compiles is named.
   */
  private explain(err: MjcfError, sc: Scenario, params: PhysicsParams, dt: number): Error {
    const defaults = defaultMujocoSettings();
    const candidates: [string, MujocoSettings][] = [];
    for (const k of Object.keys(this.settings.contact) as (keyof MujocoSettings['contact'])[])
      candidates.push([
        `mujoco.contact.${k}`,
        { ...this.settings, contact: { ...this.settings.contact, [k]: defaults.contact[k] } },
      ]);
    for (const k of ['integrator', 'cone', 'iterations', 'impratio'] as const)
      candidates.push([`mujoco.${k}`, { ...this.settings, [k]: defaults[k] }]);
    for (const [field, s] of candidates) {
      try {
        const { xml } = this.task(sc).build(sc, params, new Rng(0), s, dt);
        compileMjcf(this.mj, xml).delete();
        const v = field
          .split('.')
          .reduce<unknown>((o, key) => (o as Record<string, unknown>)[key], { mujoco: this.settings });
        return new InputError(
          `${this.source}:${field}: MuJoCo refused the model with ${JSON.stringify(v)} (${err.kind})`,
        );
      } catch {
        // not this field
      }
    }
    return new InputError(
      `${this.source}: MuJoCo refused the ${sc.task} model built from these settings and physics (${err.kind})`,
    );
  }
}
