/**
 * Waking at a point of `performance.now()` time. Node's timers count whole milliseconds from a loop
 * time cached at the start of each event-loop turn, so `setTimeout(f, 2)` may run f after 1.1 ms or
 * after 2.9 ms: a timer is re-armed until the clock has really passed the target.
 *
 * A control tick needs better than that. `sleepUntil` lets timers cover the wait up to HOLD_MS
 * before the target, then holds the thread in Atomics.wait, which wakes about 0.1 ms late and costs
 * neither CPU nor garbage. The alternatives cost both: turning the event loop with setImmediate
 * allocates an Immediate per turn and spinning on performance.now() ~32 bytes per call, tens of KB
 * per tick (a scavenge every few dozen ticks), and either burns a core that, on a 2-core machine,
 * the ZeroMQ I/O thread needs. Holding the thread delays other events by at most HOLD_MS, so it is
 * only for waits where nothing is in flight (between two control steps).
 */

/** From how far before the target the thread is held, ms (a timer can be ~2 ms off). */
const HOLD_MS = 2.5;
const cell = new Int32Array(new SharedArrayBuffer(4));

/** Run `fn` once `performance.now() >= t`, up to about a millisecond after it. Returns a cancel function. */
export function runAt(t: number, fn: () => void): () => void {
  let timer: NodeJS.Timeout | null = null;
  const check = () => {
    timer = null;
    const left = t - performance.now();
    if (left <= 0) fn();
    else timer = setTimeout(check, Math.max(1, Math.floor(left)));
  };
  check();
  return () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
}

/** Hold the thread until `performance.now() >= t`. */
function holdUntil(t: number): void {
  for (let left = t - performance.now(); left > 0; left = t - performance.now()) Atomics.wait(cell, 0, 0, left);
}

/** Resolve once `performance.now() >= t` (about 0.1 ms after it when the machine lets us run). */
export async function sleepUntil(t: number): Promise<void> {
  if (t - performance.now() > HOLD_MS) await new Promise<void>((resolve) => runAt(t - HOLD_MS, resolve));
  holdUntil(t);
}
