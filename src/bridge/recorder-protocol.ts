/**
 * How a policy server hands served episodes to its recorder thread (recorder-thread.ts →
 * recorder-worker.ts) without costing its control loop more than a copy of a few dozen numbers per
 * step. Steps go through a ring of fixed-size float64 records in shared memory: the server writes a
 * record and advances the head, and nothing else — no message, no wake-up (on a loaded machine a
 * postMessage per step or per batch woke the recorder thread, which then often took the server's
 * CPU; docs/design.md, "Findings"). The recorder thread drains the ring on its own clock. The rare
 * events (a session's open, episode start/end and close; the run's stop) are posted as messages
 * that carry the head at the time they were sent, so the recorder drains every step before them
 * first and each session's order is kept.
 */
import { totalSize, type Contract } from '../sim/contract.js';
import type { EpisodeEndMsg, EpisodeStartMsg } from './messages.js';

export interface SessionMeta {
  robotId: string;
  /** The server's session id (recorded with each episode: robots share the run's file). */
  session: string;
  scenario: string;
  contract: Contract;
  controlHz: number;
}

/** What the recorder needs of an `obs` message (the step it answers was held until now). */
export interface RecordedObs {
  episode: number;
  step: number;
  /** The robot's clock when it sent the observation, s since the Unix epoch. */
  time: number;
  /** The server's clock when the observation arrived, s since the Unix epoch. */
  receivedAt: number;
  obs: Float32Array;
  reward?: number;
  terminated?: boolean;
  truncated?: boolean;
  applied?: Float32Array;
}

/** Session events; `at` is the ring head when the event was sent (steps before it come first). */
export type ToRecorder =
  | ({ at: number; session: number } & (
      | { op: 'open'; meta: SessionMeta }
      | { op: 'start'; msg: EpisodeStartMsg; policyId: string; receivedAt: number }
      | { op: 'end'; msg: EpisodeEndMsg; receivedAt: number }
      | { op: 'close' }
    ))
  /** Every session's events are in: close the run's files. */
  | { at: number; op: 'stop' };

export type FromRecorder =
  | { op: 'log'; line: string }
  | { op: 'closed'; session: number }
  /** A recording file was created. */
  | { op: 'file'; path: string }
  | { op: 'stopped' };

/** What the recorder thread is started with. */
export interface RecorderInit {
  ring: StepRingBuffers;
  /**
   * Int32[1]: events posted so far. The timer may only drain steps once every posted event has
   * been handled, or a step could be recorded before its episode's start (or after its end).
   */
  posted: SharedArrayBuffer;
  /** The run's files: `<dir>/<stem>.mcap`, then `<stem>-2.mcap`, ... past `maxFileBytes`. */
  dir: string;
  stem: string;
  maxFileBytes: number;
}

export interface StepRingBuffers {
  /** HEAD and TAIL step counters (Int32, wrapping). */
  control: SharedArrayBuffer;
  records: SharedArrayBuffer;
  capacity: number;
  obsSize: number;
  actSize: number;
}

const HEAD = 0;
const TAIL = 1;
const TERMINATED = 1;
const TRUNCATED = 2;
const APPLIED = 4;
/** session, episode, step, reward, flags, latencyMs, time, receivedAt; then obs, action and applied action. */
const HEADER = 8;

/** Float64 values in one step record. */
function recordValues(obsSize: number, actSize: number): number {
  return HEADER + obsSize + 2 * actSize;
}

export interface RecordedStep {
  session: number;
  obs: RecordedObs;
  action: Float32Array;
  latencyMs: number;
}

/** The shared ring of step records: one writer (the server), one reader (the recorder thread). */
export class StepRing {
  private readonly control: Int32Array;
  private readonly records: Float64Array;
  private readonly size: number;

  constructor(readonly buffers: StepRingBuffers) {
    this.control = new Int32Array(buffers.control);
    this.records = new Float64Array(buffers.records);
    this.size = recordValues(buffers.obsSize, buffers.actSize);
  }

  /** The most records (a power of two, at most `maxRecords`, at least 1024) that fit in `bytes`. */
  static capacityFor(contract: Contract, bytes: number, maxRecords: number): number {
    const recordBytes = recordValues(totalSize(contract.obs), totalSize(contract.action)) * 8;
    let n = 1024;
    while (n * 2 <= maxRecords && n * 2 * recordBytes <= bytes) n *= 2;
    return n;
  }

  /** `capacity` (records) is a power of two, so slot numbers stay in order when the counters wrap. */
  static create(contract: Contract, capacity: number): StepRing {
    if (!(capacity > 0 && (capacity & (capacity - 1)) === 0))
      throw new Error(`StepRing: capacity must be a power of two, got ${capacity}`);
    const obsSize = totalSize(contract.obs);
    const actSize = totalSize(contract.action);
    return new StepRing({
      control: new SharedArrayBuffer(8),
      records: new SharedArrayBuffer(capacity * recordValues(obsSize, actSize) * 8),
      capacity,
      obsSize,
      actSize,
    });
  }

  /** Steps written so far (wrapping Int32): what `at` of an event refers to. */
  get head(): number {
    return Atomics.load(this.control, HEAD);
  }

  /** Writer: append a step; false when the ring is full (the reader fell behind) and the step is dropped. */
  push(session: number, m: RecordedObs, action: Float32Array, latencyMs: number): boolean {
    const head = Atomics.load(this.control, HEAD);
    if (((head - Atomics.load(this.control, TAIL)) | 0) >= this.buffers.capacity) return false;
    const { obsSize, actSize } = this.buffers;
    // The server checks sizes against the contract before it answers; a slip here would corrupt the next record.
    if (m.obs.length !== obsSize || action.length !== actSize || (m.applied && m.applied.length !== actSize)) {
      throw new Error(
        `recording: expected a step of ${obsSize} obs and ${actSize} action values, got ${m.obs.length} and ${action.length}`,
      );
    }
    const r = this.records;
    const o = ((head >>> 0) % this.buffers.capacity) * this.size;
    r[o] = session;
    r[o + 1] = m.episode;
    r[o + 2] = m.step;
    r[o + 3] = m.reward ?? 0;
    r[o + 4] = (m.terminated ? TERMINATED : 0) | (m.truncated ? TRUNCATED : 0) | (m.applied ? APPLIED : 0);
    r[o + 5] = latencyMs;
    r[o + 6] = m.time;
    r[o + 7] = m.receivedAt;
    r.set(m.obs, o + HEADER);
    r.set(action, o + HEADER + obsSize);
    if (m.applied) r.set(m.applied, o + HEADER + obsSize + actSize);
    Atomics.store(this.control, HEAD, (head + 1) | 0);
    return true;
  }

  /** Reader: take every step up to (not including) head `upTo` (default: all written), oldest first. */
  drain(each: (s: RecordedStep) => void, upTo = this.head): void {
    const { obsSize, actSize, capacity } = this.buffers;
    const r = this.records;
    let tail = Atomics.load(this.control, TAIL);
    while (((upTo - tail) | 0) > 0) {
      const o = ((tail >>> 0) % capacity) * this.size;
      const flags = r[o + 4];
      // Copied out before the slot is handed back to the writer.
      const vec = (from: number, n: number) => Float32Array.from(r.subarray(o + from, o + from + n));
      each({
        session: r[o],
        obs: {
          episode: r[o + 1],
          step: r[o + 2],
          time: r[o + 6],
          receivedAt: r[o + 7],
          obs: vec(HEADER, obsSize),
          reward: r[o + 3],
          terminated: (flags & TERMINATED) !== 0,
          truncated: (flags & TRUNCATED) !== 0,
          applied: flags & APPLIED ? vec(HEADER + obsSize + actSize, actSize) : undefined,
        },
        action: vec(HEADER + obsSize, actSize),
        latencyMs: r[o + 5],
      });
      tail = (tail + 1) | 0;
      Atomics.store(this.control, TAIL, tail);
    }
  }
}
