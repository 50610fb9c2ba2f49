/**
 * Tells a ROUTER's normal connection closes from drops. libzmq's monitor reports a close without
 * naming the peer, and the protocol's announcement of a normal one (a robot's bye, the answer sent
 * to a deploy client) may be read before or after it: the two are matched in either order within a
 * grace period, and only a close nothing announced is reported.
 */
export class CloseMatcher {
  /** Expiry times of announced closes not yet seen, oldest first. */
  private announced: number[] = [];
  /** Closes seen but not (yet) announced, reported when their timer fires. */
  private unexplained: ReturnType<typeof setTimeout>[] = [];

  constructor(
    private readonly graceMs: number,
    private readonly report: (address: string) => void,
    /** At most this many announcements kept (a peer may announce and stay connected). */
    private readonly cap = 64,
  ) {}

  /** The protocol says a connection is about to close normally. */
  announce(): void {
    const waiting = this.unexplained.shift();
    if (waiting !== undefined) {
      clearTimeout(waiting);
      return;
    }
    const now = Date.now();
    this.prune(now);
    if (this.announced.length >= this.cap) this.announced.shift();
    this.announced.push(now + this.graceMs);
  }

  /** libzmq closed a connection. */
  closed(address: string): void {
    this.prune(Date.now());
    if (this.announced.length) {
      this.announced.shift();
      return;
    }
    const timer = setTimeout(() => {
      this.unexplained.splice(this.unexplained.indexOf(timer), 1);
      this.report(address);
    }, this.graceMs);
    timer.unref?.();
    this.unexplained.push(timer);
  }

  dispose(): void {
    for (const t of this.unexplained) clearTimeout(t);
    this.unexplained = [];
    this.announced = [];
  }

  private prune(now: number): void {
    let i = 0;
    while (i < this.announced.length && this.announced[i] < now) i++;
    if (i) this.announced.splice(0, i);
  }
}
