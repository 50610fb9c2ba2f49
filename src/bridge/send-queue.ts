/**
 * The one way out of a socket. zeromq.js allows one send in flight per socket and throws "Socket
 * is busy writing" synchronously at a second one; after 512 sends that resolved at once it defers
 * the next (so as not to starve the event loop), and a fire-and-forget send then broke the server's
 * receive loop under load. Every outgoing message goes through here: in order, one awaited send at
 * a time, at most `limit` waiting (a ROUTER never blocks on a slow peer, it drops for it, so a
 * queue this long means the socket itself is stuck).
 */
import type * as zmq from 'zeromq';

export class SendQueue {
  private readonly waiting: (Buffer | Uint8Array)[][] = [];
  private busy = false;
  private stopped = false;
  /** The most messages that ever waited at once. */
  maxDepth = 0;

  constructor(
    private readonly sock: zmq.Router,
    /** A send that failed: the socket is unusable and whoever owns it must stop (not go on deaf). */
    private readonly onFailure: (e: Error) => void,
    private readonly limit = 100_000,
  ) {}

  get depth(): number {
    return this.waiting.length;
  }

  /** Queue one multipart message; false when it was dropped (queue full or stopped). */
  send(frames: (Buffer | Uint8Array)[]): boolean {
    if (this.stopped) return false;
    if (!this.busy) {
      void this.pump(frames);
      return true;
    }
    if (this.waiting.length >= this.limit) {
      // Nothing is leaving: the socket is stuck, and a server that cannot send is deaf.
      this.stop();
      this.onFailure(new Error(`${this.limit} messages waiting to be sent: the socket does not take them`));
      return false;
    }
    this.waiting.push(frames);
    if (this.waiting.length > this.maxDepth) this.maxDepth = this.waiting.length;
    return true;
  }

  /** No more sends (the socket is closing); what waits is dropped. */
  stop(): void {
    this.stopped = true;
    this.waiting.length = 0;
  }

  private async pump(first: (Buffer | Uint8Array)[]): Promise<void> {
    this.busy = true;
    let next: (Buffer | Uint8Array)[] | undefined = first;
    try {
      while (next && !this.stopped) {
        await this.sock.send(next);
        next = this.waiting.shift();
      }
    } catch (e) {
      if (!this.stopped) {
        this.stop();
        this.onFailure(e as Error);
      }
    } finally {
      this.busy = false;
    }
  }
}
