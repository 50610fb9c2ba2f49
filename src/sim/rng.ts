/**
 * Seeded random numbers for everything in sim, policy and bridge: no Math.random anywhere.
 * sfc32 (Chris Doty-Humphrey's small fast counter) — hand-written because it sits in hot loops
 * (noise wrappers, sampling) and a library call per draw costs more than the generator itself.
 */

/** 32-bit string/number mixer (murmur3 finaliser) used to derive independent streams from a seed. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return mix32(h);
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | null = null;
  /** The seed this generator was created from (for logging). */
  readonly seed: number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`rng: seed must be a finite number, got ${seed}`);
    this.seed = seed;
    const s = Math.floor(Math.abs(seed)) >>> 0;
    const hi = Math.floor(Math.abs(seed) / 4294967296) >>> 0;
    this.a = mix32(s ^ 0x9e3779b9);
    this.b = mix32(hi ^ 0x243f6a88);
    this.c = mix32(s + 0x85a308d3);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  /** A generator for a named sub-stream of this one's seed; independent of other labels, does not advance this one. */
  fork(label: string): Rng {
    return Rng.derive(this.seed, label);
  }

  /** A new stream derived from a seed and a label, e.g. deriveSeed(seed, "obs-noise"). */
  static derive(seed: number, label: string): Rng {
    return new Rng(Rng.deriveSeed(seed, label));
  }

  static deriveSeed(seed: number, label: string): number {
    const s = Math.floor(Math.abs(seed));
    return mix32(mix32((s >>> 0) ^ hashLabel(label)) ^ ((s / 4294967296) >>> 0) ^ (seed < 0 ? 0x5bd1e995 : 0));
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** Standard normal (Box–Muller, caching the second draw). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** Generator state, so a run can be resumed exactly. */
  state(): [number, number, number, number] {
    return [this.a, this.b, this.c, this.d];
  }
}
