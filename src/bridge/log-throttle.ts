/**
 * Log lines that a peer can trigger as fast as it sends (10,000 garbage frames, a misconfigured
 * robot reconnecting every 100 ms, hellos under ever new robot ids): at most `burst` per kind per
 * second, then one line counting the ones left out. A log written synchronously to a slow pipe
 * would otherwise stall the server for every robot.
 */
export class LogThrottle {
  private readonly kinds = new Map<string, { at: number; lines: number; suppressed: number }>();

  constructor(
    private readonly log: (line: string) => void,
    private readonly everyMs = 1000,
    /** Kinds remembered at most (kinds may name peers); the oldest are forgotten first. */
    private readonly maxKinds = 1024,
  ) {}

  /** Log `text` unless `burst` lines of this kind were logged in the last second. */
  line(kind: string, text: string, burst = 1): void {
    const now = Date.now();
    let t = this.kinds.get(kind);
    if (t && now - t.at < this.everyMs) {
      if (t.lines >= burst) {
        t.suppressed++;
        return;
      }
      t.lines++;
      this.log(text);
      return;
    }
    this.log(t?.suppressed ? `${text} (and ${t.suppressed} more like it in the last ${now - t.at} ms)` : text);
    this.kinds.delete(kind);
    if (this.kinds.size >= this.maxKinds) this.kinds.delete(this.kinds.keys().next().value!);
    t = { at: now, lines: 1, suppressed: 0 };
    this.kinds.set(kind, t);
  }
}
