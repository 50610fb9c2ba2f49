/**
 * Reading episode files. A closed file is read through its index (`McapIndexedReader`). A file
 * without a footer/summary — the writer was killed, or is still running — is read record by record
 * (`McapStreamReader`) up to the last complete record: every episode flushed before the writer
 * stopped comes back intact; a started-but-unfinished episode comes back without `end`.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { hasMcapPrefix, McapIndexedReader, McapStreamReader } from '@mcap/core';
import type { TypedMcapRecord, TypedMcapRecords } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import { TOPICS } from './channels.js';
import { toFloat32 } from './encode.js';
import { EpisodeFileError } from './errors.js';
import { listEpisodeFiles } from './files.js';
import { decompressHandlers, loadZstd } from './zstd.js';
import type { Episode, EpisodeEnd, EpisodeFile, EpisodeStart, EpisodeStep, StepMessage } from './types.js';

type Channel = TypedMcapRecords['Channel'];
type Message = TypedMcapRecords['Message'];

const decoder = new TextDecoder();
const STREAM_BLOCK = 1 << 20;

interface Pending {
  start?: EpisodeStart;
  end?: EpisodeEnd;
  steps: EpisodeStep[];
  snapshot?: Uint8Array;
}

/** Groups messages by episode as they arrive, in any order. */
class Collector {
  readonly #byIndex = new Map<number, Pending>();
  readonly #topics = new Map<number, string>();
  #ours = false;

  addChannel(c: Channel): void {
    this.#topics.set(c.id, c.topic);
    if (c.topic === TOPICS.episode) this.#ours = true;
  }

  get hasEpisodeChannel(): boolean {
    return this.#ours;
  }

  get topics(): string[] {
    return [...new Set(this.#topics.values())];
  }

  #episode(index: number): Pending {
    let p = this.#byIndex.get(index);
    if (!p) this.#byIndex.set(index, (p = { steps: [] }));
    return p;
  }

  addMessage(m: Message): void {
    switch (this.#topics.get(m.channelId)) {
      case TOPICS.episode: {
        const rec = JSON.parse(decoder.decode(m.data)) as EpisodeStart | EpisodeEnd;
        if (rec.event === 'start') this.#episode(rec.index).start = rec;
        else if (rec.event === 'end') this.#episode(rec.index).end = rec;
        break;
      }
      case TOPICS.step: {
        const s = JSON.parse(decoder.decode(m.data)) as StepMessage;
        const step: EpisodeStep = {
          step: s.step,
          time: s.time,
          obs: toFloat32(s.obs),
          action: toFloat32(s.action),
          appliedAction: toFloat32(s.appliedAction),
          reward: s.reward,
          terminated: s.terminated,
          truncated: s.truncated,
        };
        if (s.trueObs) step.trueObs = toFloat32(s.trueObs);
        if (s.expertAction) step.expertAction = toFloat32(s.expertAction);
        if (s.latencyMs !== undefined) step.latencyMs = (s.latencyMs as number | null) ?? NaN;
        this.#episode(s.episode).steps.push(step);
        break;
      }
      case TOPICS.snapshot:
        // Copy: readers may hand out views into a buffer they reuse.
        this.#episode(m.sequence).snapshot = m.data.slice();
        break;
      default:
        break; // /scene and anything else: not needed to rebuild episodes
    }
  }

  /** Episodes that have a start record, by index; incomplete ones have no `end`. */
  episodes(file: string): Episode[] {
    const out: Episode[] = [];
    for (const p of this.#byIndex.values()) {
      if (!p.start) continue; // only possible for a damaged file: nothing to identify it by
      p.steps.sort((a, b) => a.step - b.step);
      const ep: Episode = { file, start: p.start, steps: p.steps, snapshot: p.snapshot ?? new Uint8Array(0) };
      if (p.end) ep.end = p.end;
      out.push(ep);
    }
    return out.sort((a, b) => a.start.index - b.start.index);
  }
}

async function readIndexed(handle: FileHandle, c: Collector): Promise<void> {
  const reader = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle), decompressHandlers });
  for (const ch of reader.channelsById.values()) c.addChannel(ch);
  for await (const m of reader.readMessages()) c.addMessage(m);
}

/** Sequential read; returns why it stopped early, or null when it reached a valid footer. */
async function readStreaming(handle: FileHandle, c: Collector): Promise<string | null> {
  const reader = new McapStreamReader({ decompressHandlers });
  const size = (await handle.stat()).size;
  const block = new Uint8Array(STREAM_BLOCK);
  let offset = 0;
  try {
    while (offset < size) {
      const { bytesRead } = await handle.read(block, 0, Math.min(block.length, size - offset), offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
      reader.append(block.subarray(0, bytesRead));
      for (let r: TypedMcapRecord | undefined; (r = reader.nextRecord()); ) {
        if (r.type === 'Channel') c.addChannel(r);
        else if (r.type === 'Message') c.addMessage(r);
      }
      if (reader.done()) return null;
    }
  } catch (e) {
    return `damaged record near byte ${offset - reader.bytesRemaining()}: ${(e as Error).message}`;
  }
  const left = reader.bytesRemaining();
  return left > 0
    ? `no footer; ${left} bytes of an incomplete record at the end`
    : 'no footer (the writer did not close the file)';
}

/**
 * Read one episode file. Throws EpisodeFileError when the path is missing, is not an MCAP file, or
 * has no `/episode` channel.
 */
export async function readEpisodeFile(path: string): Promise<EpisodeFile> {
  await loadZstd();
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'a directory'
          : `an unreadable file (${code ?? (e as Error).message})`;
    throw new EpisodeFileError(path, `${path}: expected an MCAP episode file, got ${why}`);
  }
  try {
    const head = new Uint8Array(8);
    const { bytesRead } = await handle.read(head, 0, 8, 0);
    // What a writer killed before its first record leaves: no episodes, not a foreign file (it must
    // not make a whole directory unreadable).
    if (bytesRead === 0)
      return {
        path,
        episodes: [],
        incompleteEpisodes: 0,
        indexed: false,
        tail: 'an empty file (its writer stopped before writing anything)',
      };
    if (!hasMcapPrefix(new DataView(head.buffer, 0, bytesRead))) {
      throw new EpisodeFileError(
        path,
        `${path}: expected an MCAP file (starting with the bytes "\\x89MCAP0\\r\\n"), got ${bytesRead === 0 ? 'an empty file' : 'other content'}`,
      );
    }
    let collector = new Collector();
    let indexed = true;
    let tail: string | null = null;
    try {
      await readIndexed(handle, collector);
    } catch {
      // No footer/summary (writer killed or still writing) or a damaged index: read sequentially.
      collector = new Collector();
      indexed = false;
      tail = await readStreaming(handle, collector);
    }
    if (!collector.hasEpisodeChannel) {
      const topics = collector.topics;
      if (topics.length === 0 && !indexed)
        return {
          path,
          episodes: [],
          incompleteEpisodes: 0,
          indexed,
          tail: tail ?? 'no records after the header (its writer stopped before its first episode)',
        };
      throw new EpisodeFileError(
        path,
        `${path}: expected an episode file with a ${TOPICS.episode} channel, got ${topics.length ? `topics ${topics.join(', ')}` : 'no channels'}`,
      );
    }
    const episodes = collector.episodes(path);
    const incompleteEpisodes = episodes.filter((e) => !e.end).length;
    return { path, episodes, incompleteEpisodes, indexed, tail };
  } finally {
    await handle.close();
  }
}

/** Read a file, or every `.mcap` file under a directory (see listEpisodeFiles). */
export async function readEpisodes(fileOrDir: string): Promise<{ files: EpisodeFile[]; episodes: Episode[] }> {
  const files: EpisodeFile[] = [];
  for (const path of await listEpisodeFiles(fileOrDir)) files.push(await readEpisodeFile(path));
  return { files, episodes: files.flatMap((f) => f.episodes) };
}
