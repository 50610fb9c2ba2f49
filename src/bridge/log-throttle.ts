/**
 * Log lines that a peer can trigger as fast as it sends (10,000 garbage frames, a misconfigured
 * robot reconnecting every 100 ms): at most one per kind per second, counting the ones left out.
 * A log written synchronously to a slow pipe would otherwise stall the server for every robot.
 */
export class LogThrottle {
  private readonly kinds = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly log: (line: string) => void,
    private readonly everyMs = 1000,
    /** Kinds remembered at most (kinds may name peers); the oldest are forgotten first. */
    private readonly maxKinds = 1024,
  ) {}

  line(kind: string, text: string): void {
    const now = Date.now();
    const t = this.kinds.get(kind);
    if (t && now - t.at < this.everyMs) {
      t.suppressed++;
      return;
    }
    this.log(t?.suppressed ? `${text} (and ${t.suppressed} more like it in the last ${now - t.at} ms)` : text);
    this.kinds.delete(kind);
    if (this.kinds.size >= this.maxKinds) this.kinds.delete(this.kinds.keys().next().value!);
    this.kinds.set(kind, { at: now, suppressed: 0 });
  }
}
