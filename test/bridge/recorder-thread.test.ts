/**
 * The recording of a server run, driven directly through RecorderThread (its real worker thread,
 * real files): one file per run with the robots' episodes interleaved, real receive / robot times,
 * unique indices with the robot's own numbers in the metadata, open episodes left incomplete in the
 * same file, no file without episodes, rotation by size at episode starts, and the flags
 * (observations outside the contract's range, partial recordings).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { McapIndexedReader } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import { RecorderThread, type SessionRecording } from '../../src/bridge/recorder-thread.js';
import type { SessionMeta } from '../../src/bridge/recorder-protocol.js';
import { NOMINAL_CONTROL_HZ } from '../../src/bridge/served-episodes.js';
import { readEpisodeFile } from '../../src/episodes/reader.js';
import { isFlagged } from '../../src/episodes/flags.js';
import { decompressHandlers, loadZstd } from '../../src/episodes/zstd.js';
import { formatInspect, inspectEpisodes } from '../../src/cli/episodes.js';
import { actionFor, contract, obsAt } from './recorder-fixture.js';

/** Robot clock at the start of the test robots' runs; the server clock runs 12.5 ms later. */
const T0 = 1_700_000_000.25;
const SERVER_LAG = 0.0125;

let dir: string;
let log: string[];
const threads: RecorderThread[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sim2real-recorder-'));
  log = [];
});
afterEach(async () => {
  for (const t of threads.splice(0)) await t.stop();
  rmSync(dir, { recursive: true, force: true });
});

function recorder(opts: { maxFileBytes?: number } = {}): RecorderThread {
  const t = new RecorderThread(dir, contract, (l) => log.push(l), opts);
  threads.push(t);
  return t;
}

function meta(robotId: string, extra: Partial<SessionMeta> = {}): SessionMeta {
  return { robotId, session: `session-${robotId}`, scenario: 'test-scenario', contract, controlHz: 10, ...extra };
}

/**
 * A robot's episode on its own clock: step k at `t + k·period`, plus an overrun of 0.25 s before
 * step 3. Returns the times it used, to check the file against.
 */
class Robot {
  readonly sent: { episode: number; step: number; time: number; receivedAt: number }[] = [];
  constructor(
    readonly rec: SessionRecording,
    public t: number,
  ) {}

  private tick(dt: number): { time: number; receivedAt: number } {
    this.t += dt;
    return { time: this.t, receivedAt: this.t + SERVER_LAG };
  }

  start(episode: number, info?: Record<string, unknown>): { time: number; receivedAt: number } {
    const at = this.tick(0.01);
    this.rec.startEpisode(
      { type: 'episode_start', seq: 0, time: at.time, episode, seed: 100 + episode, info },
      'test-policy',
      at.receivedAt,
    );
    return at;
  }

  step(episode: number, step: number, obs = obsAt(episode, step)): void {
    const at = this.tick(step === 3 ? 0.35 : 0.1);
    const prev =
      step > 0
        ? { reward: step - 0.5, terminated: false, truncated: false, applied: Float32Array.from([step / 10, 0]) }
        : {};
    this.rec.step({ episode, step, obs, ...at, ...prev }, actionFor(obs), 0.5 + step / 100);
    this.sent.push({ episode, step, ...at });
  }

  end(episode: number, length: number): { time: number; receivedAt: number } {
    const at = this.tick(0.1);
    this.rec.endEpisode(
      {
        type: 'episode_end',
        seq: 0,
        time: at.time,
        episode,
        success: true,
        terminated: true,
        truncated: false,
        reward: 9,
        return: 42,
        length,
      },
      at.receivedAt,
    );
    return at;
  }

  run(episode: number, steps: number, end = true, from = 0): void {
    this.start(episode, from > 0 ? { resumed_from_step: from } : undefined);
    for (let k = from; k < from + steps; k++) this.step(episode, k);
    if (end) this.end(episode, from + steps);
  }
}

interface RawMessage {
  topic: string;
  logTime: bigint;
  publishTime: bigint;
  json: Record<string, unknown> | null;
}

async function rawMessages(path: string): Promise<RawMessage[]> {
  await loadZstd();
  const handle = await open(path, 'r');
  try {
    const reader = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle), decompressHandlers });
    const out: RawMessage[] = [];
    for await (const m of reader.readMessages()) {
      const topic = reader.channelsById.get(m.channelId)!.topic;
      out.push({
        topic,
        logTime: m.logTime,
        publishTime: m.publishTime,
        json: topic === '/snapshot' ? null : JSON.parse(new TextDecoder().decode(m.data)),
      });
    }
    return out;
  } finally {
    await handle.close();
  }
}

/** How far (µs) a time in ns since the epoch is from one in float seconds. */
const offUs = (ns: bigint, s: number) => Math.abs(Number(ns - BigInt(Math.round(s * 1e6)) * 1000n)) / 1000;

describe('RecorderThread: one file per server run', () => {
  it('interleaves the robots in one file with unique indices, their own numbers in the metadata, and the real times', async () => {
    const rt = recorder();
    const a = new Robot(rt.open(meta('alpha')), T0);
    const b = new Robot(rt.open(meta('beta', { controlHz: 0 })), T0 + 0.05);
    const starts = [a.start(7), b.start(0)];
    for (let k = 0; k < 6; k++) {
      a.step(7, k);
      if (k < 4) b.step(0, k);
    }
    const ends = [a.end(7, 6), b.end(0, 4)];
    a.run(8, 3);
    await rt.stop();

    expect(readdirSync(dir)).toEqual([expect.stringMatching(/^served-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z\.mcap$/)]);
    expect(rt.files).toEqual([join(dir, readdirSync(dir)[0])]);
    const f = await readEpisodeFile(rt.files[0]);
    expect(f.indexed).toBe(true);
    expect(
      f.episodes.map((e) => [
        e.start.index,
        e.start.randomization.robot_id,
        e.start.randomization.robotEpisode,
        e.steps.length,
        !!e.end,
      ]),
    ).toEqual([
      [0, 'alpha', 7, 6, true],
      [1, 'beta', 0, 4, true],
      [2, 'alpha', 8, 3, true],
    ]);
    const [e7, e0] = f.episodes;
    expect(e7.start).toMatchObject({
      source: 'real',
      task: 'real',
      scenario: 'test-scenario',
      seed: 107,
      policyId: 'test-policy',
      controlHz: 10,
      contract,
      taskState: null,
    });
    expect(e7.start.randomization).toEqual({ robot_id: 'alpha', robotEpisode: 7, session: 'session-alpha' });
    expect(e7.start.partial).toBeUndefined();
    expect(e0.start.controlHz).toBe(NOMINAL_CONTROL_HZ);
    expect(log.some((l) => /recording beta: control rate unknown/.test(l))).toBe(true);
    expect(e7.end).toEqual({
      event: 'end',
      index: 0,
      success: true,
      return: 42,
      length: 6,
      terminated: true,
      truncated: false,
      obsOutOfRange: { steps: 0, values: 0 },
    });
    expect(e7.snapshot).toEqual(new Uint8Array(0));
    e7.steps.forEach((s, k) => {
      expect(s.step).toBe(k);
      expect(Array.from(s.obs)).toEqual(Array.from(obsAt(7, k)));
      expect(Array.from(s.action)).toEqual(Array.from(actionFor(obsAt(7, k))));
      // The applied action and reward of step k come with obs k+1; the last one's with the end.
      expect(Array.from(s.appliedAction)).toEqual(k < 5 ? [Math.fround((k + 1) / 10), 0] : Array.from(s.action));
      expect(s.reward).toBe(k < 5 ? k + 0.5 : 9);
      expect(s.latencyMs).toBeCloseTo(0.5 + k / 100, 12);
      // Seconds since the episode start on the server clock: the overrun before step 3 shows.
      const sent = a.sent.find((x) => x.episode === 7 && x.step === k)!;
      expect(s.time).toBeCloseTo(sent.receivedAt - starts[0].receivedAt, 6);
    });
    expect(e7.steps[3].time - e7.steps[2].time).toBeCloseTo(0.35, 6);

    // MCAP times: log = when the server received the message, publish = the robot's clock in it.
    const raw = await rawMessages(rt.files[0]);
    expect(new Set(raw.map((m) => m.topic))).toEqual(new Set(['/episode', '/step'])); // no empty /snapshot, no /scene
    const robots = { 0: a, 1: b, 2: a } as Record<number, Robot>;
    const robotEpisode = { 0: 7, 1: 0, 2: 8 } as Record<number, number>;
    for (const m of raw.filter((x) => x.topic === '/step')) {
      const ep = m.json!.episode as number;
      const sent = robots[ep].sent.find((x) => x.episode === robotEpisode[ep] && x.step === m.json!.step)!;
      expect(offUs(m.logTime, sent.receivedAt)).toBeLessThan(1);
      expect(offUs(m.publishTime, sent.time)).toBeLessThan(1);
    }
    const records = raw.filter((x) => x.topic === '/episode');
    for (const [i, at] of starts.entries()) {
      const m = records.find((x) => x.json!.event === 'start' && x.json!.index === i)!;
      expect([offUs(m.logTime, at.receivedAt), offUs(m.publishTime, at.time)].every((d) => d < 1)).toBe(true);
      expect(m.json!.startedAt).toBe(new Date(at.receivedAt * 1000).toISOString());
    }
    for (const [i, at] of ends.entries()) {
      const m = records.find((x) => x.json!.event === 'end' && x.json!.index === i)!;
      expect([offUs(m.logTime, at.receivedAt), offUs(m.publishTime, at.time)].every((d) => d < 1)).toBe(true);
    }
  });

  it('leaves an episode open at a new episode_start, a session close or the stop incomplete, in the same file', async () => {
    const rt = recorder();
    const quitter = new Robot(rt.open(meta('quitter')), T0);
    quitter.run(0, 3, false);
    await quitter.rec.close(); // bye mid-episode
    // Closed sessions are on disk while the server runs: the file reads without its index.
    const live = await readEpisodeFile(rt.files[0]);
    expect(live.indexed).toBe(false);
    expect(live.episodes.map((e) => [e.start.randomization.robot_id, e.steps.length, !!e.end])).toEqual([
      ['quitter', 2, false],
    ]);

    const restarter = new Robot(rt.open(meta('restarter')), T0 + 1);
    restarter.run(0, 3, false); // the robot's loop restarts without ending episode 0...
    restarter.run(1, 2); // ...episode 1 runs to its end...
    restarter.run(2, 2, false); // ...and episode 2 is open when the server stops.
    // Events after the stop are ignored.
    await rt.stop();
    restarter.run(3, 2);
    expect(readdirSync(dir)).toHaveLength(1);
    const f = await readEpisodeFile(rt.files[0]);
    expect(f.indexed).toBe(true);
    // The step held for its outcome (the last one) is not recorded in an episode cut short.
    expect(
      f.episodes.map(
        (e) =>
          `${e.start.randomization.robot_id}:${e.start.randomization.robotEpisode}:${e.steps.length}${e.end ? '' : ' (incomplete)'}`,
      ),
    ).toEqual([
      'quitter:0:2 (incomplete)',
      'restarter:0:2 (incomplete)',
      'restarter:1:2',
      'restarter:2:1 (incomplete)',
    ]);
    expect(f.incompleteEpisodes).toBe(3);
  });

  it('creates no file for a run without episodes (observations outside an episode are served, not recorded)', async () => {
    const rt = recorder();
    const r = new Robot(rt.open(meta('idle')), T0);
    for (let k = 0; k < 5; k++) r.step(0, k);
    r.end(0, 5);
    await r.rec.close();
    rt.open(meta('never-closed'));
    await rt.stop();
    expect(readdirSync(dir)).toEqual([]);
    expect(rt.files).toEqual([]);
  });

  it('goes on in -2, -3, ... once the file is past maxFileBytes, at episode starts: every episode whole in one file', async () => {
    const rt = recorder({ maxFileBytes: 12_000 });
    const long = new Robot(rt.open(meta('long')), T0);
    const short = new Robot(rt.open(meta('short')), T0);
    long.start(0);
    let k = 0;
    for (let e = 0; e < 12; e++) {
      short.run(e, 15);
      for (let i = 0; i < 5; i++) long.step(0, k++);
      // Let the recorder write (and flush) the episode that just ended before the next one starts.
      await new Promise((r) => setTimeout(r, 40));
    }
    long.end(0, k);
    await rt.stop();
    const names = readdirSync(dir).sort((x, y) => x.length - y.length || x.localeCompare(y));
    expect(names.length).toBeGreaterThanOrEqual(3);
    const stem = names[0].replace(/\.mcap$/, '');
    expect(names).toEqual(names.map((_, i) => (i === 0 ? `${stem}.mcap` : `${stem}-${i + 1}.mcap`)));
    expect(rt.files).toEqual(names.map((n) => join(dir, n)));
    const files = await Promise.all(rt.files.map((p) => readEpisodeFile(p)));
    const episodes = files.flatMap((f) => f.episodes);
    for (const file of files) {
      expect(file.indexed).toBe(true);
      expect(file.episodes.length).toBeGreaterThan(0);
      expect(file.episodes.map((e) => e.start.index)).toEqual(file.episodes.map((_, i) => i));
    }
    // The long episode began in the first file and stayed there while the others moved on.
    expect(files[0].episodes.find((e) => e.start.randomization.robot_id === 'long')!.steps).toHaveLength(k);
    expect(episodes.every((e) => e.end && e.steps.length === e.end.length)).toBe(true);
    expect(
      episodes.filter((e) => e.start.randomization.robot_id === 'short').map((e) => e.start.randomization.robotEpisode),
    ).toEqual([...Array(12).keys()]);
    // Rotated by size, not per episode.
    expect(files.some((f) => f.episodes.length > 1)).toBe(true);
  });

  it('counts observations outside the contract range and marks partial recordings: both flagged', async () => {
    const rt = recorder();
    const r = new Robot(rt.open(meta('faulty')), T0);
    r.start(0);
    for (let k = 0; k < 6; k++) {
      const obs = obsAt(0, k);
      if (k === 2) obs[1] = 3; // pos[1] above 2
      if (k === 4) obs.set([1.5, 0, -6]); // pos[0] above 1, vel below -5
      r.step(0, k, obs);
    }
    r.end(0, 6);
    r.run(1, 3);
    // A server that took over a running episode at step 40 (its start synthesized by the server).
    r.run(2, 4, true, 40);
    await rt.stop();
    const [bad, clean, partial] = (await readEpisodeFile(rt.files[0])).episodes;
    expect(bad.end!.obsOutOfRange).toEqual({
      steps: 2,
      values: 3,
      first: { step: 2, component: 'pos', index: 1, value: 3 },
    });
    expect(Array.from(bad.steps[4].obs)).toEqual([1.5, 0, -6]); // served and recorded as sent
    expect(clean.end!.obsOutOfRange).toEqual({ steps: 0, values: 0 });
    expect(partial.start.partial).toEqual({ fromStep: 40 });
    expect(partial.end!.partial).toEqual({ fromStep: 40 });
    expect(partial.start.randomization).toMatchObject({ resumed_from_step: 40, robotEpisode: 2 });
    expect(partial.steps.map((s) => s.step)).toEqual([40, 41, 42, 43]);
    expect([bad, clean, partial].map(isFlagged)).toEqual([true, false, true]);

    const report = await inspectEpisodes(dir);
    expect(report.flaggedEpisodes).toBe(2);
    expect(report.episodeList.map((e) => [e.flagged, e.obsOutOfRange?.values, e.partialFrom])).toEqual([
      [true, 3, null],
      [false, 0, null],
      [true, 0, 40],
    ]);
    const text = formatInspect(report).split('\n');
    expect(text[1]).toMatch(
      /^ {2}#0 {2}seed 100 {2}real {2}robot faulty {2}success .* length 6 {2}FLAGGED: obs out of range in 2 steps \(3 values; first: step 2 pos\[1\] = 3\)$/,
    );
    expect(text[2]).not.toMatch(/FLAGGED/);
    expect(text[3]).toMatch(/FLAGGED: partial \(from step 40\)$/);
    expect(text[4]).toMatch(/^3 episodes \(2 flagged: skipped by train\/finetune without --include-flagged\), /);
  });
});
