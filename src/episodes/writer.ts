/**
 * EpisodeWriter: episodes → one MCAP file (channels in channels.ts).
 *
 *   const w = await EpisodeWriter.open('runs/grasp.mcap');
 *   w.startEpisode({ scenario, task, seed, source: 'sim', ... }, world.takeSnapshot(), task.scene());
 *   for (...) w.writeStep({ obs, action, appliedAction, reward, terminated, truncated }, () => task.scene());
 *   await w.endEpisode({ success });   // flushes: the episode is on disk
 *   await w.close();                   // writes the index (summary)
 *
 * `startEpisode` and `writeStep` are synchronous (they encode and buffer; full chunks go to the
 * file in the background); `endEpisode` waits until the whole episode is in the file, so a process
 * killed afterwards leaves it readable. Closing with an episode open leaves that episode without an
 * end record: readers count it as incomplete.
 *
 * Timestamps (log and publish time, integer ns) run on a simulated clock: an episode starts at the
 * file's start time plus the duration of the episodes before it (each followed by one control
 * period); step `t` is logged at `start + time` (`time` defaults to `t / controlHz`); the scene given
 * with step `t` shows the state after its action and is logged one control period later.
 */
import { McapFileWriter, type McapFileWriterOptions } from './mcap-file-writer.js';
import { SCHEMAS, SNAPSHOT_ENCODING, TOPICS } from './channels.js';
import { sceneUpdate } from './scene.js';
import { stepJson } from './encode.js';
import type { ScenePrimitive } from '../sim/task.js';
import type { EpisodeEnd, EpisodeStart, StepInput } from './types.js';

export type { StepInput };

export interface EpisodeWriterOptions extends McapFileWriterOptions {
  /** Write a `/scene` message every this many steps (plus one at each episode start); 0: start only. Default 1. */
  sceneEvery?: number;
  /** Log time of the first episode start, ns since the Unix epoch. Default: now. */
  startTimeNs?: bigint;
}

export type EpisodeStartInput = Omit<EpisodeStart, 'event' | 'index' | 'startedAt'> & {
  /** Default: the number of episodes started by this writer so far. */
  index?: number;
  /** Default: now. */
  startedAt?: string;
};


/** Fields left out default to what the written steps say (sum of rewards, count, last step's flags). */
export type EpisodeEndInput = Pick<EpisodeEnd, 'success'> & Partial<Pick<EpisodeEnd, 'return' | 'length' | 'terminated' | 'truncated'>>;

/** Primitives, or a function producing them (only called on steps that write a scene). */
export type SceneSource = readonly ScenePrimitive[] | (() => readonly ScenePrimitive[]);

interface OpenEpisode {
  index: number;
  startNs: bigint;
  controlHz: number;
  steps: number;
  return: number;
  terminated: boolean;
  truncated: boolean;
}

const encoder = new TextEncoder();

function jsonBytes(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

function secondsToNs(s: number): bigint {
  return BigInt(Math.round(s * 1e9));
}

export class EpisodeWriter {
  readonly path: string;
  readonly #mcap: McapFileWriter;
  readonly #sceneEvery: number;
  readonly #ch: Record<keyof typeof TOPICS, number>;
  #clockNs: bigint;
  #lastNs = 0n;
  #started = 0;
  #completed = 0;
  #sceneSeq = 0;
  #episode: OpenEpisode | undefined;

  private constructor(path: string, mcap: McapFileWriter, opts: EpisodeWriterOptions) {
    this.path = path;
    this.#mcap = mcap;
    this.#sceneEvery = opts.sceneEvery ?? 1;
    this.#clockNs = opts.startTimeNs ?? BigInt(Date.now()) * 1_000_000n;
    const json = (key: keyof typeof SCHEMAS): number => {
      const { name, schema } = SCHEMAS[key];
      const schemaId = mcap.registerSchema(name, 'jsonschema', jsonBytes(schema));
      return mcap.registerChannel(TOPICS[key], schemaId, 'json');
    };
    this.#ch = {
      episode: json('episode'),
      step: json('step'),
      scene: json('scene'),
      snapshot: mcap.registerChannel(TOPICS.snapshot, 0, SNAPSHOT_ENCODING, {
        content: 'Rapier World.takeSnapshot() bytes, unframed',
        sequence: 'episode index',
      }),
    };
  }

  /** Create (or truncate) an episode file (and its directory). */
  static async open(path: string, opts: EpisodeWriterOptions = {}): Promise<EpisodeWriter> {
    const mcap = await McapFileWriter.open(path, opts);
    const w = new EpisodeWriter(path, mcap, opts);
    await mcap.flush();
    return w;
  }

  /** Episodes ended (and flushed) so far. */
  get episodesCompleted(): number {
    return this.#completed;
  }

  /** Begin an episode: its `/episode` start record, initial world snapshot and first scene. Returns its index. */
  startEpisode(start: EpisodeStartInput, snapshot: Uint8Array, scene?: SceneSource): number {
    if (this.#episode) throw new Error(`EpisodeWriter: episode ${this.#episode.index} is still open; call endEpisode() first`);
    if (!(start.controlHz > 0)) throw new Error(`EpisodeWriter: controlHz must be > 0, got ${start.controlHz}`);
    const index = start.index ?? this.#started;
    const t = this.#at(this.#clockNs);
    const record: EpisodeStart = {
      event: 'start',
      index,
      scenario: start.scenario,
      task: start.task,
      seed: start.seed,
      source: start.source,
      policyId: start.policyId,
      contract: start.contract,
      controlHz: start.controlHz,
      physics: start.physics,
      randomization: start.randomization,
      taskState: start.taskState,
      startedAt: start.startedAt ?? new Date().toISOString(),
    };
    if (start.scenarioSpec !== undefined) record.scenarioSpec = start.scenarioSpec;
    this.#mcap.addMessage(this.#ch.episode, t, jsonBytes(record), index);
    this.#mcap.addMessage(this.#ch.snapshot, t, snapshot, index);
    if (scene) this.#writeScene(scene, t, true);
    this.#episode = { index, startNs: t, controlHz: start.controlHz, steps: 0, return: 0, terminated: false, truncated: false };
    this.#started++;
    return index;
  }

  /** Record one control step; `scene` is written every `sceneEvery` steps. */
  writeStep(step: StepInput, scene?: SceneSource): void {
    const ep = this.#episode;
    if (!ep) throw new Error('EpisodeWriter: writeStep() outside an episode; call startEpisode() first');
    const n = step.step ?? ep.steps;
    const time = step.time ?? n / ep.controlHz;
    const t = this.#at(ep.startNs + secondsToNs(time));
    const json = stepJson({ ...step, episode: ep.index, step: n, time });
    this.#mcap.addMessage(this.#ch.step, t, encoder.encode(json), n);
    ep.steps++;
    ep.return += step.reward;
    ep.terminated = step.terminated;
    ep.truncated = step.truncated;
    if (scene && this.#sceneEvery > 0 && ep.steps % this.#sceneEvery === 0) {
      this.#writeScene(scene, this.#at(t + secondsToNs(1 / ep.controlHz)));
    }
  }

  /** End the episode and flush: once this resolves, the episode survives the process being killed. */
  async endEpisode(end: EpisodeEndInput): Promise<void> {
    const ep = this.#episode;
    if (!ep) throw new Error('EpisodeWriter: endEpisode() outside an episode');
    const length = end.length ?? ep.steps;
    const record: EpisodeEnd = {
      event: 'end',
      index: ep.index,
      success: end.success,
      return: end.return ?? ep.return,
      length,
      terminated: end.terminated ?? ep.terminated,
      truncated: end.truncated ?? ep.truncated,
    };
    const t = this.#at(ep.startNs + secondsToNs(length / ep.controlHz));
    this.#mcap.addMessage(this.#ch.episode, t, jsonBytes(record), ep.index);
    this.#episode = undefined;
    this.#clockNs = t + secondsToNs(1 / ep.controlHz);
    await this.#mcap.flush();
    this.#completed++;
  }

  /** Push everything buffered so far to the file (endEpisode does this). */
  flush(): Promise<void> {
    return this.#mcap.flush();
  }

  /** Write the index and close the file. An open episode stays without an end record (incomplete). */
  close(): Promise<void> {
    this.#episode = undefined;
    return this.#mcap.close();
  }

  /** Log times never go backwards within a file. */
  #at(ns: bigint): bigint {
    if (ns < this.#lastNs) ns = this.#lastNs;
    this.#lastNs = ns;
    return ns;
  }

  #writeScene(scene: SceneSource, t: bigint, clear = false): void {
    const primitives = typeof scene === 'function' ? scene() : scene;
    this.#mcap.addMessage(this.#ch.scene, t, jsonBytes(sceneUpdate(primitives, t, clear)), this.#sceneSeq++);
  }
}
