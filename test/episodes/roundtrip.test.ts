import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, open, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McapIndexedReader, McapStreamReader, McapWriter, type TypedMcapRecord } from '@mcap/core';
import { FileHandleReadable, FileHandleWritable } from '@mcap/nodejs';
import { loadRapier, type Rapier } from '../../src/sim/rapier.js';
import { readEpisodeFile, readEpisodes } from '../../src/episodes/reader.js';
import { EpisodeWriter } from '../../src/episodes/writer.js';
import { EpisodeFileError } from '../../src/episodes/errors.js';
import { decompressHandlers, loadZstd } from '../../src/episodes/zstd.js';
import { TOPICS } from '../../src/episodes/channels.js';
import { crc32 } from '../../src/episodes/crc32.js';
import {
  CONTROL_HZ,
  expectedStep,
  lengthOf,
  sceneFor,
  startFor,
  stepFor,
  successOf,
  writeFixtureFile,
} from './fixtures.js';

let dir: string;
let R: Rapier;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sim2real-episodes-'));
  R = await loadRapier();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A small real Rapier world's snapshot: a ground box and `index + 1` balls. */
function rapierSnapshot(index: number): Uint8Array {
  const world = new R.World({ x: 0, y: 0, z: -9.81 });
  try {
    world.createCollider(R.ColliderDesc.cuboid(1, 1, 0.1));
    for (let i = 0; i <= index; i++) {
      const body = world.createRigidBody(R.RigidBodyDesc.dynamic().setTranslation(0.1 * i, 0, 0.5 + 0.1 * index));
      world.createCollider(R.ColliderDesc.ball(0.05), body);
    }
    world.step();
    return world.takeSnapshot();
  } finally {
    world.free();
  }
}

async function indexedReader(path: string) {
  await loadZstd();
  const handle = await open(path, 'r');
  const reader = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle), decompressHandlers });
  return { reader, close: () => handle.close() };
}

describe('episode files (MCAP)', () => {
  it('round-trips meta, steps (exact float32), snapshots and end records through the indexed reader', async () => {
    const path = join(dir, 'three.mcap');
    const snapshots = [0, 1, 2].map(rapierSnapshot);
    await writeFixtureFile(path, 3, { snapshot: (i) => snapshots[i] });

    const f = await readEpisodeFile(path);
    expect(f.indexed).toBe(true);
    expect(f.tail).toBeNull();
    expect(f.incompleteEpisodes).toBe(0);
    expect(f.episodes.map((e) => e.start.index)).toEqual([0, 1, 2]);
    for (const [index, ep] of f.episodes.entries()) {
      const { index: _i, ...meta } = startFor(index);
      expect(ep.file).toBe(path);
      expect(ep.start).toMatchObject({ event: 'start', index, ...meta });
      expect(Date.parse(ep.start.startedAt)).not.toBeNaN();
      expect(ep.end).toEqual({
        event: 'end',
        index,
        success: successOf(index),
        return: Array.from({ length: lengthOf(index) }, (_, t) => stepFor(index, t).reward).reduce((a, b) => a + b, 0),
        length: lengthOf(index),
        terminated: successOf(index),
        truncated: !successOf(index),
      });
      expect(ep.steps).toHaveLength(lengthOf(index));
      for (const [t, step] of ep.steps.entries()) expect(step).toEqual(expectedStep(index, t));
      expect(ep.steps[0].obs).toBeInstanceOf(Float32Array);
      expect(Buffer.from(ep.snapshot).equals(Buffer.from(snapshots[index]))).toBe(true);
      // The logged snapshot restores the world.
      const world = R.World.restoreSnapshot(ep.snapshot);
      expect(world.bodies.len()).toBe(index + 1);
      world.free();
    }
  });

  it('has a summary, zstd chunks, JSON-schema channels and monotonic integer-ns timestamps', async () => {
    const path = join(dir, 'summary.mcap');
    const startTimeNs = 1_700_000_000_000_000_000n;
    await writeFixtureFile(path, 3, { startTimeNs, chunkSize: 2048 });
    const { reader, close } = await indexedReader(path);
    try {
      expect(reader.statistics).toBeDefined();
      expect(reader.chunkIndexes.length).toBeGreaterThan(3);
      expect(reader.chunkIndexes.every((c) => c.compression === 'zstd' || c.compression === '')).toBe(true);
      expect(reader.chunkIndexes.some((c) => c.compression === 'zstd')).toBe(true);
      const topics = new Map([...reader.channelsById.values()].map((c) => [c.topic, c]));
      expect([...topics.keys()].sort()).toEqual(['/episode', '/scene', '/snapshot', '/step']);
      for (const t of ['/episode', '/step', '/scene']) {
        const ch = topics.get(t)!;
        expect(ch.messageEncoding).toBe('json');
        const schema = reader.schemasById.get(ch.schemaId)!;
        expect(schema.encoding).toBe('jsonschema');
        expect(JSON.parse(new TextDecoder().decode(schema.data)).title).toBe(schema.name);
      }
      expect(reader.schemasById.get(topics.get('/scene')!.schemaId)!.name).toBe('foxglove.SceneUpdate');
      expect(topics.get('/snapshot')!.schemaId).toBe(0);
      // The data-section CRC covers everything before DataEnd.
      const bytes = await readFile(path);
      expect(reader.dataSectionCrc).toBe(crc32(bytes.subarray(0, Number(reader.dataEndOffset))));
      // A streaming read of the closed file parses every record through the trailing magic.
      const stream = new McapStreamReader({ decompressHandlers });
      stream.append(bytes);
      const kinds = new Set<string>();
      for (let r: TypedMcapRecord | undefined; (r = stream.nextRecord()); ) kinds.add(r.type);
      expect(stream.done()).toBe(true);
      expect([...kinds]).toEqual(
        expect.arrayContaining([
          'Header',
          'Schema',
          'Channel',
          'Message',
          'DataEnd',
          'Statistics',
          'ChunkIndex',
          'SummaryOffset',
          'Footer',
        ]),
      );

      const stepTimes: bigint[][] = [[], [], []];
      const episodeTimes: bigint[] = [];
      const scenes: unknown[] = [];
      let last = 0n;
      let count = 0n;
      for await (const m of reader.readMessages()) {
        count++;
        expect(m.logTime).toBeGreaterThanOrEqual(last);
        expect(m.publishTime).toBe(m.logTime);
        last = m.logTime;
        const topic = reader.channelsById.get(m.channelId)!.topic;
        if (topic === TOPICS.snapshot) continue;
        const msg = JSON.parse(new TextDecoder().decode(m.data));
        if (topic === TOPICS.step) stepTimes[msg.episode][msg.step] = m.logTime;
        if (topic === TOPICS.episode && msg.event === 'start') episodeTimes[msg.index] = m.logTime;
        if (topic === TOPICS.scene) scenes.push(msg);
      }
      expect(count).toBe(reader.statistics!.messageCount);
      // Episode 0 starts at the file start; steps follow at the control period; each next episode
      // starts one period after the previous one's end.
      const period = 1_000_000_000n / BigInt(CONTROL_HZ);
      expect(episodeTimes[0]).toBe(startTimeNs);
      for (let k = 0; k < 3; k++) {
        stepTimes[k].forEach((t, i) => expect(t).toBe(episodeTimes[k] + BigInt(i) * period));
        if (k > 0) expect(episodeTimes[k]).toBe(episodeTimes[k - 1] + BigInt(lengthOf(k - 1) + 1) * period);
      }
      // One scene at each start plus one per step.
      expect(scenes).toHaveLength([0, 1, 2].reduce((n, k) => n + 1 + lengthOf(k), 0));
      const first = scenes[0] as { deletions: unknown[]; entities: Record<string, unknown>[] };
      expect(first.deletions).toEqual([{ timestamp: { sec: 1_700_000_000, nsec: 0 }, type: 1, id: '' }]);
      expect(first.entities.map((e) => e.id)).toEqual(['base', 'cube', 'target']);
      const [base, cube, target] = first.entities as any[];
      expect(base).toMatchObject({
        frame_id: 'world',
        timestamp: { sec: 1_700_000_000, nsec: 0 },
        lifetime: { sec: 0, nsec: 0 },
        frame_locked: false,
        cubes: [],
        spheres: [],
      });
      expect(base.cylinders).toEqual([
        {
          pose: { position: { x: 0, y: 0, z: 0.05 }, orientation: { x: 0, y: 0, z: 0, w: 1 } },
          size: { x: 0.2, y: 0.2, z: 0.1 },
          color: { r: 0.5, g: 0.5, b: 0.5, a: 1 },
          bottom_scale: 1,
          top_scale: 1,
        },
      ]);
      expect(cube.cubes).toHaveLength(1);
      expect(target.spheres[0].color).toEqual({ r: 0, g: 1, b: 0, a: 0.5 });
      for (const key of ['arrows', 'lines', 'triangles', 'texts', 'models', 'metadata']) expect(base[key]).toEqual([]);
      expect((scenes[1] as { deletions: unknown[] }).deletions).toEqual([]);
    } finally {
      await close();
    }
  });

  it('writes a scene every K steps with sceneEvery', async () => {
    const path = join(dir, 'scene-every.mcap');
    const w = await EpisodeWriter.open(path, { sceneEvery: 3 });
    w.startEpisode(startFor(0), new Uint8Array([1, 2, 3]), sceneFor(0, 0));
    let calls = 0;
    for (let t = 0; t < 10; t++) w.writeStep(stepFor(0, t), () => (calls++, sceneFor(0, t + 1)));
    await w.endEpisode({ success: true, length: 10 });
    await w.close();
    expect(calls).toBe(3); // after steps 3, 6, 9: the scene function is only called when written
    const { reader, close } = await indexedReader(path);
    const sceneId = [...reader.channelsById.values()].find((c) => c.topic === '/scene')!.id;
    expect(reader.statistics!.channelMessageCounts.get(sceneId)).toBe(4n);
    await close();
  });

  it('reads a file whose writer never closed it (no summary) by streaming', async () => {
    const path = join(dir, 'unclosed.mcap');
    const w = await EpisodeWriter.open(path, { chunkSize: 1024 });
    for (let index = 0; index < 2; index++) {
      w.startEpisode(startFor(index), new Uint8Array([index]), sceneFor(index, 0));
      for (let t = 0; t < lengthOf(index); t++) w.writeStep(stepFor(index, t));
      await w.endEpisode({ success: successOf(index) });
    }
    w.startEpisode(startFor(2), new Uint8Array([2]));
    for (let t = 0; t < 4; t++) w.writeStep(stepFor(2, t));
    await w.flush();
    const f = await readEpisodeFile(path); // while the writer is still open
    expect(f.indexed).toBe(false);
    expect(f.tail).toMatch(/no footer/);
    expect(f.episodes.map((e) => [e.start.index, e.end !== undefined, e.steps.length])).toEqual([
      [0, true, lengthOf(0)],
      [1, true, lengthOf(1)],
      [2, false, 4],
    ]);
    expect(f.incompleteEpisodes).toBe(1);
    expect(f.episodes[1].steps[3]).toEqual(expectedStep(1, 3));
    await w.close(); // closing with an open episode leaves it incomplete, but indexed
    const g = await readEpisodeFile(path);
    expect(g.indexed).toBe(true);
    expect(g.incompleteEpisodes).toBe(1);
  });

  it('survives truncation anywhere after the channels: no exception, complete episodes intact', async () => {
    const path = join(dir, 'whole.mcap');
    await writeFixtureFile(path, 4, { chunkSize: 700 });
    const whole = await readFile(path);
    const reference = (await readEpisodeFile(path)).episodes;
    // Where the schema and channel records end: the size of a freshly opened file.
    const fresh = await EpisodeWriter.open(join(dir, 'fresh.mcap'));
    const prefix = (await stat(join(dir, 'fresh.mcap'))).size;
    await fresh.close();
    const cut = join(dir, 'cut.mcap');
    let sawPartial = false;
    for (let k = 0; k <= 40; k++) {
      const size = prefix + Math.floor(((whole.length - prefix) * k) / 40);
      await writeFile(cut, whole);
      await truncate(cut, size);
      const f = await readEpisodeFile(cut);
      expect(f.indexed).toBe(k === 40);
      for (const ep of f.episodes) {
        const ref = reference[ep.start.index];
        expect(ep.start).toEqual(ref.start);
        if (ep.end) {
          expect(ep.end).toEqual(ref.end);
          expect(ep.steps).toEqual(ref.steps);
          expect(ep.snapshot).toEqual(ref.snapshot);
        } else {
          sawPartial = true;
          expect(ep.steps).toEqual(ref.steps.slice(0, ep.steps.length));
        }
      }
      expect(f.episodes.filter((e) => e.end).length).toBeLessThanOrEqual(4);
    }
    expect(sawPartial).toBe(true);
  });

  it('rejects missing paths, non-MCAP files and MCAP files without episode channels', async () => {
    await expect(readEpisodeFile(join(dir, 'nope.mcap'))).rejects.toThrow(
      /nope\.mcap: expected an MCAP episode file, got no such file/,
    );
    const text = join(dir, 'text.mcap');
    await writeFile(text, 'hello\n');
    await expect(readEpisodeFile(text)).rejects.toBeInstanceOf(EpisodeFileError);
    await expect(readEpisodeFile(text)).rejects.toThrow(/text\.mcap: expected an MCAP file/);
    const other = join(dir, 'other.mcap');
    const handle = await open(other, 'w');
    const w = new McapWriter({ writable: new FileHandleWritable(handle) });
    await w.start({ profile: '', library: 'test' });
    const ch = await w.registerChannel({ topic: '/imu', schemaId: 0, messageEncoding: 'json', metadata: new Map() });
    await w.addMessage({
      channelId: ch,
      sequence: 0,
      logTime: 1n,
      publishTime: 1n,
      data: new TextEncoder().encode('{}'),
    });
    await w.end();
    await handle.close();
    await expect(readEpisodeFile(other)).rejects.toThrow(
      /other\.mcap: expected an episode file with a \/episode channel, got topics \/imu/,
    );
  });

  it('readEpisodes reads every .mcap file under a directory', async () => {
    const sub = join(dir, 'runs');
    await rm(sub, { recursive: true, force: true });
    await writeFixtureFile(join(sub, 'a.mcap'), 2);
    await writeFixtureFile(join(sub, 'nested', 'b.mcap'), 1);
    await writeFile(join(sub, 'notes.txt'), 'not an episode file');
    const { files, episodes } = await readEpisodes(sub);
    expect(files.map((f) => f.path)).toEqual([join(sub, 'a.mcap'), join(sub, 'nested', 'b.mcap')]);
    expect(episodes).toHaveLength(3);
  });
});
