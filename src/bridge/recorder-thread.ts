/**
 * The server side of recording: served episodes go to one recorder thread (recorder-worker.ts) that
 * encodes, compresses and writes the run's MCAP files, so none of that, nor its garbage, lands on
 * the thread answering observations. Steps go through a shared ring (recorder-protocol.ts) and
 * cost the control loop a copy; session events are posted.
 */
import type { Worker } from 'node:worker_threads';
import type { Contract } from '../sim/contract.js';
import { startWorker } from '../worker-url.js';
import type { EpisodeEndMsg, EpisodeStartMsg } from './messages.js';
import {
  StepRing,
  type FromRecorder,
  type RecordedObs,
  type RecorderInit,
  type SessionMeta,
  type ToRecorder,
} from './recorder-protocol.js';

/**
 * Steps the ring holds: up to 65,536 (at 500 Hz, 131 s of the recorder thread not getting to run;
 * it drains every few tens of ms) within 32 MB of shared memory (fewer steps for big
 * observations). Past that, steps are dropped and logged rather than the control loop waiting.
 */
const RING_MAX_STEPS = 65536;
const RING_BYTES = 32 * 1024 * 1024;

/** Default size past which the run's recording goes on in a new file (at an episode start). */
const DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024;

/** One robot session's recording, as the control loop sees it: fire-and-forget events, then close. */
export interface SessionRecording {
  /** `receivedAt`: the server's clock when the message arrived, s since the Unix epoch. */
  startEpisode(m: EpisodeStartMsg, policyId: string, receivedAt: number): void;
  /** An observation arrived and was answered with `action` (computed in `latencyMs`). */
  step(m: RecordedObs, action: Float32Array, latencyMs: number): void;
  endEpisode(m: EpisodeEndMsg, receivedAt: number): void;
  /** The session is over (an open episode stays incomplete); resolves once its events are written. */
  close(): Promise<void>;
}

/**
 * The recording of one server run: a recorder thread writing every robot session into one MCAP file
 * (`served-<start time>.mcap`, then `-2`, `-3`, ... past `maxFileBytes`), created at the first
 * episode start.
 */
export class RecorderThread {
  /** The files written so far. */
  readonly files: string[] = [];
  private readonly worker: Worker;
  private readonly ring: StepRing;
  /** Events posted to the recorder thread (see RecorderInit.posted). */
  private readonly posted = new Int32Array(new SharedArrayBuffer(4));
  private readonly closing = new Map<number, () => void>();
  private nextSession = 1;
  private alive = true;
  private stopping = false;
  private dropped = 0;
  private stopped: Promise<void> | null = null;
  private onStopped: (() => void) | null = null;

  /** Record sessions of robots with `contract` (the served policy's) into `dir`. */
  constructor(
    dir: string,
    contract: Contract,
    private readonly log: (line: string) => void,
    opts: { maxFileBytes?: number } = {},
  ) {
    this.ring = StepRing.create(contract, StepRing.capacityFor(contract, RING_BYTES, RING_MAX_STEPS));
    const init: RecorderInit = {
      ring: this.ring.buffers,
      posted: this.posted.buffer as SharedArrayBuffer,
      dir,
      stem: `served-${new Date().toISOString().replace(/[:.]/g, '-')}`,
      maxFileBytes: opts.maxFileBytes && opts.maxFileBytes > 0 ? opts.maxFileBytes : DEFAULT_MAX_FILE_BYTES,
    };
    this.worker = startWorker('recorder-worker', import.meta.url, { workerData: init });
    this.worker.on('message', (m: FromRecorder) => {
      if (m.op === 'log') this.log(m.line);
      else if (m.op === 'file') this.files.push(m.path);
      else if (m.op === 'closed') this.closing.get(m.session)?.();
      else this.onStopped?.();
    });
    this.worker.on('error', (e) =>
      this.log(`recorder thread failed: ${e.message.split('\n')[0]}; episodes are no longer recorded`),
    );
    this.worker.on('exit', () => {
      this.alive = false;
      // Nothing will answer the sessions still closing, nor the stop.
      for (const done of this.closing.values()) done();
      this.onStopped?.();
    });
  }

  private post(m: ToRecorder): void {
    if (!this.alive || this.stopping) return;
    Atomics.add(this.posted, 0, 1);
    this.worker.postMessage(m);
  }

  /** Start recording a robot session (into the run's file). */
  open(meta: SessionMeta): SessionRecording {
    const session = this.nextSession++;
    this.post({ op: 'open', session, at: this.ring.head, meta });
    return {
      startEpisode: (msg, policyId, receivedAt) =>
        this.post({ op: 'start', session, at: this.ring.head, msg, policyId, receivedAt }),
      step: (msg, action, latencyMs) => {
        if (!this.alive || this.stopping || this.ring.push(session, msg, action, latencyMs)) return;
        if (this.dropped++ % 1000 === 0)
          this.log(`recorder thread behind: ${this.dropped} step(s) not recorded so far`);
      },
      endEpisode: (msg, receivedAt) => this.post({ op: 'end', session, at: this.ring.head, msg, receivedAt }),
      close: () => {
        if (!this.alive || this.stopping) return Promise.resolve();
        return new Promise<void>((resolve) => {
          this.closing.set(session, () => {
            this.closing.delete(session);
            resolve();
          });
          this.post({ op: 'close', session, at: this.ring.head });
        });
      },
    };
  }

  /**
   * Write every session's events, close the files (episodes still open stay incomplete) and end
   * the thread. Later events are ignored. Idempotent.
   */
  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      if (!this.alive) return resolve();
      this.onStopped = resolve;
      this.post({ op: 'stop', at: this.ring.head });
      this.stopping = true;
    })
      .then(() => this.worker.terminate())
      .then(() => undefined);
    return this.stopped;
  }
}
