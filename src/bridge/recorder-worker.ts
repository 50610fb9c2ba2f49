/**
 * The recorder thread of a policy server: owns the run's MCAP files (served-files.ts) and every
 * robot session's recording in them, and takes the served steps from the shared ring on its own
 * clock (recorder-protocol.ts). Each session's events are applied in order; a failure is logged
 * once per session, and the session's next episode is tried again (in a new file if the old one broke).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SessionRecorder } from './served-episodes.js';
import { ServedFiles } from './served-files.js';
import {
  StepRing,
  type FromRecorder,
  type RecordedStep,
  type RecorderInit,
  type ToRecorder,
} from './recorder-protocol.js';

/** How often the ring is drained, ms: how long a step waits in shared memory at most (give or take a busy machine). */
const DRAIN_MS = 20;
/**
 * How often what was recorded is pushed to the file, ms: what a server killed with `kill -9` loses
 * of its episodes in progress (plus what waits in the ring). Each push closes a zstd chunk; at
 * 10 Hz, chunks of ~5 steps compress less well, which is the price.
 */
const FLUSH_MS = 500;

// The recorder runs at the process's normal priority, on purpose. It used to lower its thread to
// nice 19 and SCHED_IDLE, to keep its drains off the control loop's cores; but a thread of this
// process that the scheduler starves does not only fall behind, it stalls the control loop whenever
// it is descheduled while holding a lock the two share. Every isolate of the process posts its
// background jobs (concurrent GC marking, optimising compiles, wasm validation) to one V8 platform
// task queue behind one mutex: with both cores busy, an idle-priority recorder preempted inside it
// left the server's main thread waiting to post, for long enough to drop every robot as silent
// (heartbeat_ms x liveness). The measurements: docs/design.md, "Findings".

const port = parentPort!;
const post = (m: FromRecorder) => port.postMessage(m);
const init = workerData as RecorderInit;
const ring = new StepRing(init.ring);
const posted = new Int32Array(init.posted);
const log = (line: string) => post({ op: 'log', line });
const files = new ServedFiles(init.dir, init.stem, {
  maxBytes: init.maxFileBytes,
  onFile: (path) => {
    post({ op: 'file', path });
    log(`recording served episodes to ${path}`);
  },
  log,
});
let handled = 0;

interface Recording {
  recorder: SessionRecorder;
  robotId: string;
  queue: Promise<void>;
  failed: boolean;
}
const sessions = new Map<number, Recording>();

function fail(r: Recording, e: unknown): void {
  if (!r.failed) log(`recording of ${r.robotId} failed: ${(e as Error).message.split('\n')[0]}`);
  r.failed = true;
}

function enqueue(r: Recording, work: (rec: SessionRecorder) => unknown): void {
  r.queue = r.queue.then(async () => {
    try {
      await work(r.recorder);
    } catch (e) {
      fail(r, e);
    }
  });
}

function record(s: RecordedStep): void {
  const r = sessions.get(s.session);
  if (r) enqueue(r, (rec) => rec.step(s.obs, s.action, s.latencyMs));
}

setInterval(() => {
  // The head first, then the event count: an event posted after this check was posted with at >=
  // head, so draining to head never runs ahead of it; one posted before and not yet handled waits.
  const head = ring.head;
  if (Atomics.load(posted, 0) === handled) ring.drain(record, head);
}, DRAIN_MS);

setInterval(() => void files.flush(), FLUSH_MS);

port.on('message', (m: ToRecorder) => {
  handled++;
  ring.drain(record, m.at);
  if (m.op === 'stop') {
    // Every session's events are queued by now: let them finish, then close the files.
    void Promise.all([...sessions.values()].map((r) => r.queue))
      .then(() => {
        for (const r of sessions.values()) r.recorder.close();
        sessions.clear();
        return files.close();
      })
      .catch((e: unknown) => log(`recording: closing the files failed: ${(e as Error).message.split('\n')[0]}`))
      .then(() => post({ op: 'stopped' }));
    return;
  }
  if (m.op === 'open') {
    sessions.set(m.session, {
      recorder: new SessionRecorder(files, { ...m.meta, log }),
      robotId: m.meta.robotId,
      queue: Promise.resolve(),
      failed: false,
    });
    return;
  }
  const r = sessions.get(m.session);
  if (!r) return;
  switch (m.op) {
    case 'start':
      return enqueue(r, (rec) => rec.startEpisode(m.msg, m.policyId, m.receivedAt));
    case 'end':
      return enqueue(r, (rec) => rec.endEpisode(m.msg, m.receivedAt));
    case 'close':
      // What the session wrote is pushed to the file before the server hears it is closed.
      enqueue(r, (rec) => {
        rec.close();
        return files.flush();
      });
      r.queue = r.queue.then(() => {
        sessions.delete(m.session);
        post({ op: 'closed', session: m.session });
      });
      return;
  }
});
