/**
 * EpisodeWriter with several episodes open at once (a server recording many robots into one file),
 * recorded times (log = received, publish = the robot's clock), no `/snapshot` without a snapshot,
 * and exclusive creation.
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McapIndexedReader } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import { EpisodeWriter } from '../../src/episodes/writer.js';
import { readEpisodeFile } from '../../src/episodes/reader.js';
import { decompressHandlers, loadZstd } from '../../src/episodes/zstd.js';
import { TOPICS } from '../../src/episodes/channels.js';
import { expectedStep, fakeSnapshot, startFor, stepFor } from './fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sim2real-interleaved-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function messages(path: string) {
  await loadZstd();
  const handle = await open(path, 'r');
  try {
    const reader = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle), decompressHandlers });
    const out: { topic: string; logTime: bigint; publishTime: bigint; sequence: number }[] = [];
    for await (const m of reader.readMessages())
      out.push({
        topic: reader.channelsById.get(m.channelId)!.topic,
        logTime: m.logTime,
        publishTime: m.publishTime,
        sequence: m.sequence,
      });
    return out;
  } finally {
    await handle.close();
  }
}

const S = 1_000_000_000n;
const T = 1_700_000_000n * S;

describe('EpisodeWriter, episodes interleaved', () => {
  it('keeps each open episode apart, numbers them uniquely, and leaves abandoned ones incomplete', async () => {
    const path = join(dir, 'two.mcap');
    const w = await EpisodeWriter.open(path);
    const { index: _a, ...startA } = startFor(0);
    const { index: _b, ...startB } = startFor(1);
    const a = w.beginEpisode(startA, fakeSnapshot(0));
    const b = w.beginEpisode(startB); // no snapshot: no /snapshot message
    expect([a.index, b.index]).toEqual([0, 1]);
    for (let t = 0; t < 6; t++) {
      a.writeStep(stepFor(0, t));
      if (t < 4) b.writeStep(stepFor(1, t));
    }
    b.abandon();
    expect(() => b.writeStep(stepFor(1, 4))).toThrow(/episode 1 is no longer open/);
    const c = w.beginEpisode({ ...startA, index: 5 });
    expect(() => w.beginEpisode({ ...startA, index: 5 })).toThrow(/episode 5 is already open/);
    await a.end({ success: true });
    expect(w.beginEpisode(startA).index).toBe(6);
    c.writeStep(stepFor(0, 0));
    await c.end({ success: false });
    await w.close();

    const f = await readEpisodeFile(path);
    expect(f.episodes.map((e) => [e.start.index, e.steps.length, !!e.end])).toEqual([
      [0, 6, true],
      [1, 4, false],
      [5, 1, true],
      [6, 0, false],
    ]);
    expect(f.episodes[0].steps).toEqual([0, 1, 2, 3, 4, 5].map((t) => expectedStep(0, t)));
    expect(f.episodes[1].steps).toEqual([0, 1, 2, 3].map((t) => expectedStep(1, t)));
    expect(f.episodes[0].snapshot).toEqual(fakeSnapshot(0));
    expect(f.episodes[1].snapshot).toEqual(new Uint8Array(0));
    const snaps = (await messages(path)).filter((m) => m.topic === TOPICS.snapshot);
    expect(snaps.map((m) => m.sequence)).toEqual([0]);
  });

  it('logs recorded times as given (received, robot clock), out of order included; step time follows the log time', async () => {
    const path = join(dir, 'timed.mcap');
    const w = await EpisodeWriter.open(path);
    const { index: _i, ...start } = startFor(0);
    const ep = w.beginEpisode({ ...start, at: { logNs: T, publishNs: T - 3n * S } });
    // Step 1 was received 250 ms late (an overrun), and is written after a later record of another episode.
    const other = w.beginEpisode({ ...start, at: { logNs: T + 2n * S, publishNs: 7n } });
    ep.writeStep({ ...stepFor(0, 0), at: { logNs: T + S / 20n, publishNs: T - 3n * S + S / 20n } });
    ep.writeStep({ ...stepFor(0, 1), at: { logNs: T + (3n * S) / 10n, publishNs: T - 3n * S + S / 10n } });
    other.abandon();
    await ep.end({ success: true, at: { logNs: T + S, publishNs: T - 2n * S } });
    await w.close();

    const f = await readEpisodeFile(path);
    expect(f.episodes[0].steps.map((s) => s.time)).toEqual([0.05, 0.3]);
    const msgs = await messages(path);
    const times = msgs.filter((m) => m.topic !== TOPICS.scene).map((m) => [m.topic, m.logTime - T, m.publishTime]);
    expect(times).toEqual([
      [TOPICS.episode, 0n, T - 3n * S],
      [TOPICS.step, S / 20n, T - 3n * S + S / 20n],
      [TOPICS.step, (3n * S) / 10n, T - 3n * S + S / 10n],
      [TOPICS.episode, S, T - 2n * S],
      [TOPICS.episode, 2n * S, 7n],
    ]);
  });

  it('refuses to replace an existing file with exclusive', async () => {
    const path = join(dir, 'taken.mcap');
    await (await EpisodeWriter.open(path)).close();
    await expect(EpisodeWriter.open(path, { exclusive: true })).rejects.toMatchObject({ code: 'EEXIST' });
  });
});
