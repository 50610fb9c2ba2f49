/**
 * Automatic domain randomization (OpenAI, "Solving Rubik's Cube with a Robot Hand", 2019):
 * every range starts narrow around its nominal value. Some episodes pin one parameter at one of
 * its current boundaries; once `buffer` such episodes are measured there, the boundary moves
 * outwards (towards the scenario's full range) when success ≥ threshold_high, inwards when
 * < threshold_low.
 */
import { Rng } from './rng.js';
import type { AdrConfig, Randomization } from './scenario-schema.js';
import type { ParamName, RangeSource } from './wrappers/ranges.js';
import { flattenRandomization, nominalOf } from './randomization.js';

export interface AdrParamState {
  /** The scenario's full range: ADR never goes beyond it. */
  full: [number, number];
  nominal: number;
  lo: number;
  hi: number;
}

export interface AdrState {
  config: AdrConfig;
  params: Partial<Record<ParamName, AdrParamState>>;
  episodes: number;
  /** Boundary moves so far, most recent last (capped). */
  history: { episode: number; param: string; side: 'lo' | 'hi'; successRate: number; move: 'widen' | 'narrow' }[];
  /** Outcomes measured at each boundary since its last move. */
  buffers: Record<string, number[]>;
}

export class Adr implements RangeSource {
  private pinned: { name: ParamName; side: 'lo' | 'hi' } | null = null;
  private rng: Rng;

  private constructor(readonly state: AdrState) {
    this.rng = Rng.derive(state.episodes, 'adr');
  }

  static fresh(full: Randomization, config: AdrConfig, restitution = 0): Adr {
    const params: AdrState['params'] = {};
    // Nested knobs (per actuator, body, sensor) are parameters of their own under their flat name.
    for (const [name, r] of flattenRandomization(full)) {
      const nominal = Math.min(r[1], Math.max(r[0], nominalOf(name, restitution)));
      params[name] = {
        full: [r[0], r[1]],
        nominal,
        lo: nominal - config.initial * (nominal - r[0]),
        hi: nominal + config.initial * (r[1] - nominal),
      };
    }
    return new Adr({ config, params, episodes: 0, history: [], buffers: {} });
  }

  static fromState(state: AdrState): Adr {
    return new Adr(structuredClone(state));
  }

  range(name: ParamName): readonly [number, number] | undefined {
    const p = this.state.params[name];
    if (!p) return undefined;
    if (this.pinned?.name === name) {
      const b = this.pinned.side === 'lo' ? p.lo : p.hi;
      return [b, b];
    }
    return [p.lo, p.hi];
  }

  /** Decide whether the coming episode measures a boundary. Call before the env reset. */
  beginEpisode(): void {
    this.pinned = null;
    if (this.rng.next() >= this.state.config.boundary_prob) return;
    const sides: { name: ParamName; side: 'lo' | 'hi' }[] = [];
    for (const [name, p] of Object.entries(this.state.params) as [ParamName, AdrParamState][]) {
      if (p.full[0] < p.nominal) sides.push({ name, side: 'lo' });
      if (p.full[1] > p.nominal) sides.push({ name, side: 'hi' });
    }
    if (sides.length > 0) this.pinned = this.rng.pick(sides);
  }

  /** Record the outcome of the episode begun last; may move the measured boundary. */
  endEpisode(success: boolean): void {
    this.state.episodes++;
    const pin = this.pinned;
    this.pinned = null;
    if (!pin) return;
    const key = `${pin.name}.${pin.side}`;
    const buf = (this.state.buffers[key] ??= []);
    buf.push(success ? 1 : 0);
    const cfg = this.state.config;
    if (buf.length < cfg.buffer) return;
    const rate = buf.reduce((a, b) => a + b, 0) / buf.length;
    this.state.buffers[key] = [];
    const p = this.state.params[pin.name]!;
    const delta = cfg.step * (p.full[1] - p.full[0]);
    let move: 'widen' | 'narrow' | null = null;
    if (rate >= cfg.threshold_high) move = 'widen';
    else if (rate < cfg.threshold_low) move = 'narrow';
    if (!move) return;
    const sign = move === 'widen' ? 1 : -1;
    if (pin.side === 'lo') p.lo = Math.min(p.nominal, Math.max(p.full[0], p.lo - sign * delta));
    else p.hi = Math.max(p.nominal, Math.min(p.full[1], p.hi + sign * delta));
    this.state.history.push({ episode: this.state.episodes, param: pin.name, side: pin.side, successRate: rate, move });
    if (this.state.history.length > 1000) this.state.history.shift();
  }

  /** Per parameter, how much of its full range is open (0 = nominal only, 1 = all of it). */
  openFractions(): Record<ParamName, number> {
    const out: Record<ParamName, number> = {};
    for (const [name, p] of Object.entries(this.state.params) as [ParamName, AdrParamState][]) {
      const w = p.full[1] - p.full[0];
      out[name] = w > 0 ? (p.hi - p.lo) / w : 1;
    }
    return out;
  }

  toJSON(): AdrState {
    return structuredClone(this.state);
  }
}
