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
 * Several episodes can be open at once with `beginEpisode` (a policy server records the robots it
 * serves into one file); the writer numbers episodes so that indices stay unique in the file.
 *
 * Timestamps (log and publish time, integer ns): a record given `at` (real runs) is logged when
 * the server received it and published at the robot's time. Otherwise they run on a simulated
 * clock: an episode starts at the file's start time plus the duration of the episodes before it
 * (each followed by one control period); step `t` is logged at `start + time` (`time` defaults to
 * `t / controlHz`); the scene given with step `t` shows the state after its action and is logged
 * one control period later.
 */
import { McapFileWriter, type McapFileWriterOptions } from './mcap-file-writer.js';
import { SCHEMAS, SNAPSHOT_ENCODING, TOPICS } from './channels.js';
import { sceneUpdate } from './scene.js';
import { stepJson } from './encode.js';
import type { ScenePrimitive } from '../sim/task.js';
import type { EpisodeEnd, EpisodeStart, RecordTime, StepInput } from './types.js';

export type { StepInput };

export interface EpisodeWriterOptions extends McapFileWriterOptions {
  /** Write a `/scene` message every this many steps (plus one at each episode start); 0: start only. Default 1. */
  sceneEvery?: number;
  /** Log time of the first episode start, ns since the Unix epoch. Default: now. */
  startTimeNs?: bigint;
}

export type EpisodeStartInput = Omit<EpisodeStart, 'event' | 'index' | 'startedAt'> & {
  /** Default: one past the highest index started in this file so far (0 first). */
  index?: number;
  /** Default: now. */
  startedAt?: string;
  /** Recorded times (real runs); default: the writer's simulated clock. */
  at?: RecordTime;
};

/** Fields left out default to what the written steps say (sum of rewards, count, last step's flags). */
export type EpisodeEndInput = Pick<EpisodeEnd, 'success'> &
  Partial<Pick<EpisodeEnd, 'return' | 'length' | 'terminated' | 'truncated' | 'obsOutOfRange' | 'partial'>> & {
    /** Recorded times (real runs); default: the writer's simulated clock. */
    at?: RecordTime;
  };

/** One episode being written, among others that may be open in the same file. */
export interface EpisodeRecording {
  readonly index: number;
  writeStep(step: StepInput, scene?: SceneSource): void;
  /** Write the end record and flush: once this resolves, the episode survives the process being killed. */
  end(end: EpisodeEndInput): Promise<void>;
  /** Write nothing more for it: it stays without an end record (incomplete). */
  abandon(): void;
}

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

const NO_SNAPSHOT = new Uint8Array(0);

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
  #nextIndex = 0;
  #completed = 0;
  #sceneSeq = 0;
  readonly #open = new Map<number, OpenEpisode>();
  /** The episode of the one-at-a-time API (startEpisode / writeStep / endEpisode). */
  #current: EpisodeRecording | undefined;

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

  /** Create (or truncate; with `exclusive`, refuse to replace) an episode file, and its directory. */
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

  /** Bytes in the file so far (what is buffered for the next chunk not included). */
  get size(): number {
    return this.#mcap.size;
  }

  /** A write to the file failed: nothing more can be written (close() still closes it). */
  get failed(): boolean {
    return this.#mcap.failed;
  }

  /** Begin an episode: its `/episode` start record, initial world snapshot and first scene. Returns its index. */
  startEpisode(start: EpisodeStartInput, snapshot: Uint8Array, scene?: SceneSource): number {
    if (this.#current)
      throw new Error(`EpisodeWriter: episode ${this.#current.index} is still open; call endEpisode() first`);
    this.#current = this.beginEpisode(start, snapshot, scene);
    return this.#current.index;
  }

  /** Record one control step; `scene` is written every `sceneEvery` steps. */
  writeStep(step: StepInput, scene?: SceneSource): void {
    if (!this.#current) throw new Error('EpisodeWriter: writeStep() outside an episode; call startEpisode() first');
    this.#current.writeStep(step, scene);
  }

  /** End the episode and flush: once this resolves, the episode survives the process being killed. */
  endEpisode(end: EpisodeEndInput): Promise<void> {
    const ep = this.#current;
    if (!ep) throw new Error('EpisodeWriter: endEpisode() outside an episode');
    this.#current = undefined;
    return ep.end(end);
  }

  /**
   * Begin an episode that may run alongside others in this file. The snapshot is written only when
   * there is one (real robots have none).
   */
  beginEpisode(start: EpisodeStartInput, snapshot: Uint8Array = NO_SNAPSHOT, scene?: SceneSource): EpisodeRecording {
    if (!(start.controlHz > 0)) throw new Error(`EpisodeWriter: controlHz must be > 0, got ${start.controlHz}`);
    const index = start.index ?? this.#nextIndex;
    if (this.#open.has(index)) throw new Error(`EpisodeWriter: episode ${index} is already open in this file`);
    const { log, publish } = this.#times(start.at, this.#clockNs);
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
    if (start.partial !== undefined) record.partial = start.partial;
    this.#mcap.addMessage(this.#ch.episode, log, jsonBytes(record), index, publish);
    if (snapshot.byteLength > 0) this.#mcap.addMessage(this.#ch.snapshot, log, snapshot, index, publish);
    if (scene) this.#writeScene(scene, log, true);
    const ep: OpenEpisode = {
      index,
      startNs: log,
      controlHz: start.controlHz,
      steps: 0,
      return: 0,
      terminated: false,
      truncated: false,
    };
    this.#open.set(index, ep);
    this.#nextIndex = Math.max(this.#nextIndex, index + 1);
    const live = () => {
      if (this.#open.get(index) !== ep) throw new Error(`EpisodeWriter: episode ${index} is no longer open`);
    };
    return {
      index,
      writeStep: (step, sceneOf) => {
        live();
        this.#step(ep, step, sceneOf);
      },
      end: async (end) => {
        live();
        this.#open.delete(index);
        await this.#end(ep, end);
      },
      abandon: () => {
        if (this.#open.get(index) === ep) this.#open.delete(index);
      },
    };
  }

  #step(ep: OpenEpisode, step: StepInput, scene?: SceneSource): void {
    const n = step.step ?? ep.steps;
    const time = step.time ?? (step.at ? Number(step.at.logNs - ep.startNs) / 1e9 : n / ep.controlHz);
    const { log, publish } = this.#times(step.at, ep.startNs + secondsToNs(time));
    const json = stepJson({ ...step, episode: ep.index, step: n, time });
    this.#mcap.addMessage(this.#ch.step, log, encoder.encode(json), n, publish);
    ep.steps++;
    ep.return += step.reward;
    ep.terminated = step.terminated;
    ep.truncated = step.truncated;
    if (scene && this.#sceneEvery > 0 && ep.steps % this.#sceneEvery === 0) {
      this.#writeScene(scene, this.#at(log + secondsToNs(1 / ep.controlHz)));
    }
  }

  async #end(ep: OpenEpisode, end: EpisodeEndInput): Promise<void> {
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
    if (end.obsOutOfRange !== undefined) record.obsOutOfRange = end.obsOutOfRange;
    if (end.partial !== undefined) record.partial = end.partial;
    const { log, publish } = this.#times(end.at, ep.startNs + secondsToNs(length / ep.controlHz));
    this.#mcap.addMessage(this.#ch.episode, log, jsonBytes(record), ep.index, publish);
    if (!end.at) this.#clockNs = log + secondsToNs(1 / ep.controlHz);
    await this.#mcap.flush();
    this.#completed++;
  }

  /** Push everything buffered so far to the file (endEpisode does this). */
  flush(): Promise<void> {
    return this.#mcap.flush();
  }

  /** Write the index and close the file. Open episodes stay without an end record (incomplete). */
  close(): Promise<void> {
    this.#current = undefined;
    this.#open.clear();
    return this.#mcap.close();
  }

  /**
   * Recorded times are kept as they are: records of several robots interleave, and a step is
   * written when the next observation brings its outcome, so they arrive slightly out of order
   * (MCAP readers order by log time). Simulated times never go backwards within a file.
   */
  #times(at: RecordTime | undefined, simulatedNs: bigint): { log: bigint; publish: bigint } {
    if (at) return { log: at.logNs, publish: at.publishNs };
    const t = this.#at(simulatedNs);
    return { log: t, publish: t };
  }

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
