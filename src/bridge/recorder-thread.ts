/**
 * The server side of recording: served episodes go to one recorder thread (recorder-worker.ts) that
 * encodes, compresses and writes the MCAP files, so none of that, nor its garbage, lands on the
 * thread answering observations. Steps go through a shared ring (recorder-protocol.ts) and cost the
 * control loop a copy; session events are posted.
 */
import type { Worker } from 'node:worker_threads';
import type { Contract } from '../sim/contract.js';
import { startWorker } from '../worker-url.js';
import type { EpisodeEndMsg, EpisodeStartMsg } from './messages.js';
import { StepRing, type FromRecorder, type RecordedObs, type RecorderInit, type SessionMeta, type ToRecorder } from './recorder-protocol.js';

/**
 * Steps the ring holds: up to 65,536 (at 500 Hz, 131 s of the recorder thread not getting to run;
 * it drains every few tens of ms, at the lowest priority) within 32 MB of shared memory (fewer
 * steps for big observations). Past that, steps are dropped and logged rather than the control
 * loop waiting.
 */
const RING_MAX_STEPS = 65536;
const RING_BYTES = 32 * 1024 * 1024;

/** One robot session's recording, as the control loop sees it: fire-and-forget events, then close. */
export interface SessionRecording {
  startEpisode(m: EpisodeStartMsg, policyId: string): void;
  /** An observation arrived and was answered with `action` (computed in `latencyMs`). */
  step(m: RecordedObs, action: Float32Array, latencyMs: number): void;
  endEpisode(m: EpisodeEndMsg): void;
  /** Resolves once the session's file is complete on disk. */
  close(): Promise<void>;
}

export class RecorderThread {
  private readonly worker: Worker;
  private readonly ring: StepRing;
  /** Events posted to the recorder thread (see RecorderInit.posted). */
  private readonly posted = new Int32Array(new SharedArrayBuffer(4));
  private readonly closing = new Map<number, () => void>();
  private readonly closes = new Set<Promise<void>>();
  private nextSession = 1;
  private alive = true;
  private dropped = 0;
  private stopped: Promise<void> | null = null;

  /** Record sessions of robots with `contract` (the served policy's) into `dir`. */
  constructor(
    private readonly dir: string,
    contract: Contract,
    private readonly log: (line: string) => void,
  ) {
    this.ring = StepRing.create(contract, StepRing.capacityFor(contract, RING_BYTES, RING_MAX_STEPS));
    this.worker = startWorker('recorder-worker', import.meta.url, { workerData: { ring: this.ring.buffers, posted: this.posted.buffer as SharedArrayBuffer } satisfies RecorderInit });
    this.worker.on('message', (m: FromRecorder) => {
      if (m.op === 'log') this.log(m.line);
      else this.closing.get(m.session)?.();
    });
    this.worker.on('error', (e) => this.log(`recorder thread failed: ${e.message.split('\n')[0]}; episodes are no longer recorded`));
    this.worker.on('exit', () => {
      this.alive = false;
      // Nothing will answer the sessions still closing.
      for (const done of this.closing.values()) done();
    });
  }

  private post(m: ToRecorder): void {
    if (!this.alive) return;
    Atomics.add(this.posted, 0, 1);
    this.worker.postMessage(m);
  }

  /** Start recording a session into `file` (inside the recording directory). */
  open(file: string, meta: SessionMeta): SessionRecording {
    const session = this.nextSession++;
    this.post({ op: 'open', session, at: this.ring.head, dir: this.dir, file, meta });
    return {
      startEpisode: (msg, policyId) => this.post({ op: 'start', session, at: this.ring.head, msg, policyId }),
      step: (msg, action, latencyMs) => {
        if (!this.alive || this.ring.push(session, msg, action, latencyMs)) return;
        if (this.dropped++ % 1000 === 0) this.log(`recorder thread behind: ${this.dropped} step(s) not recorded so far`);
      },
      endEpisode: (msg) => this.post({ op: 'end', session, at: this.ring.head, msg }),
      close: () => {
        if (!this.alive) return Promise.resolve();
        const closed = new Promise<void>((resolve) => {
          this.closing.set(session, () => {
            this.closing.delete(session);
            this.closes.delete(closed);
            resolve();
          });
          this.post({ op: 'close', session, at: this.ring.head });
        });
        this.closes.add(closed);
        return closed;
      },
    };
  }

  /** Stop the thread once every session being closed has its file complete. Idempotent. */
  stop(): Promise<void> {
    this.stopped ??= Promise.all(this.closes)
      .then(() => this.worker.terminate())
      .then(() => undefined);
    return this.stopped;
  }
}
