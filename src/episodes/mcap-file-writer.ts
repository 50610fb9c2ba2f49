/**
 * A minimal MCAP writer with an explicit `flush()`: zstd chunks that can be forced out to the file
 * at any moment, so a process killed with `kill -9` leaves everything up to the last flush readable.
 *
 * Why not `McapWriter` from @mcap/core (2.2.x)? It closes a chunk only when the chunk grows past
 * `chunkSize` (checked after each `addMessage`) or in `end()`, which also writes the summary and
 * footer and so ends the file. The method that closes a chunk, `#finalizeChunk`, is a native private
 * member: no subclass or wrapper can reach it. The alternatives were worse:
 *  - `chunkSize: 0` makes every message its own chunk (poor compression, an index entry per message);
 *  - padding the chunk with a dummy message to cross the threshold puts junk in the file;
 *  - `end()` + `McapWriter.InitializeForAppending` at every episode rewrites the whole (growing)
 *    summary each time: quadratic in the number of episodes, and needs a seekable read/write handle.
 * So this class does what McapWriter does with the same public building blocks @mcap/core exports
 * for this purpose (`McapRecordBuilder` for record encoding, `McapChunkBuilder` for chunk contents
 * and message indexes), adding `flush()`. The file layout is the one McapWriter produces, except
 * that Schema and Channel records are written to the data section right when they are registered
 * (outside chunks), so a streaming reader of a truncated file always has them; the summary repeats
 * them as usual.
 *
 * Writes are synchronous to the caller (encoding, compression) and go to the file in the background
 * in order; `flush()` and `close()` wait for them and rethrow the first I/O error. A record reaches
 * the OS on write, so it survives the process being killed; pass `sync: true` to also fdatasync at
 * each flush (power loss).
 */
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { McapChunkBuilder, McapRecordBuilder, Opcode } from '@mcap/core';
import type { Channel, ChunkIndex, Header, Schema, Statistics, SummaryOffset } from '@mcap/core';
import { FileHandleWritable } from '@mcap/nodejs';
import type { FileHandle } from 'node:fs/promises';
import { crc32 } from './crc32.js';
import { loadZstd, zstdCompress } from './zstd.js';

export interface McapFileWriterOptions {
  /** Close a chunk once its uncompressed contents exceed this many bytes. Default 64 KiB. */
  chunkSize?: number;
  /** zstd level (1-19). Default 3. */
  compressionLevel?: number;
  /** fdatasync at every `flush()`, for durability against power loss. Default false. */
  sync?: boolean;
  /** Refuse to replace an existing file (open fails with EEXIST): two writers never share a name. */
  exclusive?: boolean;
  header?: Header;
}

export class McapFileWriter {
  readonly #handle: FileHandle;
  readonly #writable: FileHandleWritable;
  readonly #chunkSize: number;
  readonly #level: number;
  readonly #sync: boolean;
  readonly #records = new McapRecordBuilder();
  readonly #chunk = new McapChunkBuilder({ useMessageIndex: true });
  readonly #schemas: Schema[] = [];
  readonly #channels: Channel[] = [];
  readonly #chunkIndexes: ChunkIndex[] = [];
  readonly #stats: Statistics = {
    messageCount: 0n,
    schemaCount: 0,
    channelCount: 0,
    attachmentCount: 0,
    metadataCount: 0,
    chunkCount: 0,
    messageStartTime: 0n,
    messageEndTime: 0n,
    channelMessageCounts: new Map(),
  };
  /** Bytes handed to the file so far (some may still be in flight). */
  #position = 0n;
  #dataCrc = 0;
  #pending: Promise<void> = Promise.resolve();
  #error: unknown = undefined;
  #closed = false;

  private constructor(handle: FileHandle, opts: McapFileWriterOptions) {
    this.#handle = handle;
    this.#writable = new FileHandleWritable(handle);
    this.#chunkSize = opts.chunkSize ?? 64 * 1024;
    this.#level = opts.compressionLevel ?? 3;
    this.#sync = opts.sync ?? false;
  }

  /** Create (or truncate) `path`, and its directory if needed, and write the MCAP magic and header. */
  static async open(path: string, opts: McapFileWriterOptions = {}): Promise<McapFileWriter> {
    await loadZstd();
    await mkdir(dirname(path), { recursive: true });
    const handle = await open(path, opts.exclusive ? 'wx' : 'w');
    const w = new McapFileWriter(handle, opts);
    try {
      w.#records.writeMagic();
      w.#records.writeHeader(opts.header ?? { profile: '', library: 'sim2real' });
      w.#emitRecords(true);
      await w.flush();
    } catch (e) {
      await handle.close();
      throw e;
    }
    return w;
  }

  registerSchema(name: string, encoding: string, data: Uint8Array): number {
    const schema: Schema = { id: this.#schemas.length + 1, name, encoding, data };
    this.#schemas.push(schema);
    this.#stats.schemaCount++;
    this.#records.writeSchema(schema);
    this.#emitRecords(true);
    return schema.id;
  }

  /** Bytes handed to the file so far (the open chunk not included). */
  get size(): number {
    return Number(this.#position);
  }

  /** A write failed: every later call throws; only close() is left. */
  get failed(): boolean {
    return this.#error !== undefined;
  }

  /** `schemaId` 0 means no schema. */
  registerChannel(
    topic: string,
    schemaId: number,
    messageEncoding: string,
    metadata: Record<string, string> = {},
  ): number {
    const channel: Channel = {
      id: this.#channels.length,
      schemaId,
      topic,
      messageEncoding,
      metadata: new Map(Object.entries(metadata)),
    };
    this.#channels.push(channel);
    this.#stats.channelCount++;
    this.#records.writeChannel(channel);
    this.#emitRecords(true);
    return channel.id;
  }

  /** Buffer a message in the open chunk; closes the chunk when it is full. */
  addMessage(channelId: number, logTime: bigint, data: Uint8Array, sequence = 0, publishTime = logTime): void {
    this.#check();
    if (!this.#channels[channelId]) throw new Error(`McapFileWriter: unknown channel id ${channelId}`);
    const s = this.#stats;
    if (s.messageCount === 0n || logTime < s.messageStartTime) s.messageStartTime = logTime;
    if (s.messageCount === 0n || logTime > s.messageEndTime) s.messageEndTime = logTime;
    s.messageCount++;
    s.channelMessageCounts.set(channelId, (s.channelMessageCounts.get(channelId) ?? 0n) + 1n);
    this.#chunk.addMessage({ channelId, sequence, logTime, publishTime, data });
    if (this.#chunk.byteLength > this.#chunkSize) this.#closeChunk();
  }

  /** Close the open chunk and wait until everything written so far has reached the file. */
  async flush(): Promise<void> {
    this.#check();
    this.#closeChunk();
    await this.#drain();
    if (this.#sync) await this.#handle.datasync();
  }

  /** Close the open chunk, write DataEnd, the summary and the footer, and close the file. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      if (this.#error === undefined) {
        this.#closeChunk();
        this.#records.writeDataEnd({ dataSectionCrc: this.#dataCrc });
        this.#emitRecords(false);
        this.#writeSummary();
      }
      await this.#drain();
      if (this.#sync) await this.#handle.datasync();
    } finally {
      await this.#handle.close();
    }
  }

  #check(): void {
    if (this.#closed) throw new Error('McapFileWriter: already closed');
    if (this.#error !== undefined) throw this.#error;
  }

  async #drain(): Promise<void> {
    await this.#pending;
    if (this.#error !== undefined) throw this.#error;
    if (this.#writable.position() !== this.#position) {
      throw new Error(`McapFileWriter: short write (${this.#writable.position()} of ${this.#position} bytes)`);
    }
  }

  /** Queue the record builder's contents for writing, then reset it. */
  #emitRecords(dataSection: boolean): void {
    const bytes = this.#records.buffer as Uint8Array; // a copy (BufferBuilder.buffer slices)
    this.#records.reset();
    this.#position += BigInt(bytes.byteLength);
    if (dataSection) this.#dataCrc = crc32(bytes, this.#dataCrc);
    this.#pending = this.#pending.then(async () => {
      if (this.#error !== undefined) return;
      try {
        await this.#writable.write(bytes);
      } catch (e) {
        this.#error = e;
      }
    });
  }

  #closeChunk(): void {
    const chunk = this.#chunk;
    if (chunk.numMessages === 0) return;
    const data = chunk.buffer as Uint8Array;
    let records: Uint8Array = zstdCompress(data, this.#level);
    let compression = 'zstd';
    if (records.byteLength >= data.byteLength) {
      records = data;
      compression = '';
    }
    const chunkStartOffset = this.#position;
    const chunkLength = this.#records.writeChunk({
      messageStartTime: chunk.messageStartTime,
      messageEndTime: chunk.messageEndTime,
      uncompressedSize: BigInt(data.byteLength),
      uncompressedCrc: crc32(data),
      compression,
      records,
    });
    const messageIndexStart = chunkStartOffset + chunkLength;
    const messageIndexOffsets = new Map<number, bigint>();
    let messageIndexLength = 0n;
    for (const index of chunk.indices) {
      if (index.records.length === 0) continue;
      messageIndexOffsets.set(index.channelId, messageIndexStart + messageIndexLength);
      messageIndexLength += this.#records.writeMessageIndex(index);
    }
    this.#chunkIndexes.push({
      messageStartTime: chunk.messageStartTime,
      messageEndTime: chunk.messageEndTime,
      chunkStartOffset,
      chunkLength,
      messageIndexOffsets,
      messageIndexLength,
      compression,
      compressedSize: BigInt(records.byteLength),
      uncompressedSize: BigInt(data.byteLength),
    });
    this.#stats.chunkCount++;
    this.#emitRecords(true);
    chunk.reset();
  }

  /** Summary section (schemas, channels, statistics, chunk indexes), summary offsets, footer, magic. */
  #writeSummary(): void {
    const r = this.#records;
    const summaryStart = this.#position;
    const offsets: SummaryOffset[] = [];
    const group = (groupOpcode: Opcode, write: () => void): void => {
      const start = r.length;
      write();
      if (r.length > start)
        offsets.push({ groupOpcode, groupStart: summaryStart + BigInt(start), groupLength: BigInt(r.length - start) });
    };
    group(Opcode.SCHEMA, () => this.#schemas.forEach((s) => r.writeSchema(s)));
    group(Opcode.CHANNEL, () => this.#channels.forEach((c) => r.writeChannel(c)));
    group(Opcode.STATISTICS, () => r.writeStatistics(this.#stats));
    group(Opcode.CHUNK_INDEX, () => this.#chunkIndexes.forEach((c) => r.writeChunkIndex(c)));
    const summaryOffsetStart = summaryStart + BigInt(r.length);
    for (const o of offsets) r.writeSummaryOffset(o);
    // The summary CRC covers the summary section and the footer up to (excluding) the CRC field.
    const footerPrefix = new DataView(new ArrayBuffer(1 + 8 + 8 + 8));
    footerPrefix.setUint8(0, Opcode.FOOTER);
    footerPrefix.setBigUint64(1, 20n, true);
    footerPrefix.setBigUint64(9, summaryStart, true);
    footerPrefix.setBigUint64(17, summaryOffsetStart, true);
    const summaryCrc = crc32(new Uint8Array(footerPrefix.buffer), crc32(r.buffer));
    r.writeFooter({ summaryStart, summaryOffsetStart, summaryCrc });
    r.writeMagic();
    this.#emitRecords(false);
  }
}
