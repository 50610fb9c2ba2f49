/**
 * Planar geometry of the navigation arena: the fixed shapes (walls, obstacles) as 2D primitives,
 * with exact signed distances and ray tests. Used for the per-substep contact check, the
 * `geometry` lidar backend, the occupancy grid of the planner and the scene.
 * All shapes are vertical prisms taller than the base, so the plane z = const is enough.
 */

/** A rotated box (half extents hx, hy, yaw about z) or a vertical cylinder, in metres / radians. */
export type Primitive =
  | { kind: 'box'; x: number; y: number; yaw: number; hx: number; hy: number }
  | { kind: 'cylinder'; x: number; y: number; r: number };

export type Pose2 = { x: number; y: number; yaw: number };

/** One episode's arena: what create() built and restore() needs back. */
export type Layout = {
  /** Half of the arena's inner side, m. */
  half: number;
  walls: Primitive[];
  obstacles: Primitive[];
  start: Pose2;
  goal: { x: number; y: number };
};

const BOX = 0;
const CYL = 1;
const STRIDE = 8; // kind, x, y, cos, sin, hx|r, hy, bounding radius

/** Primitives packed into one Float64Array for allocation-free queries in hot loops. */
export class StaticShapes {
  private readonly data: Float64Array;
  readonly count: number;

  constructor(prims: readonly Primitive[]) {
    this.count = prims.length;
    this.data = new Float64Array(prims.length * STRIDE);
    prims.forEach((p, i) => {
      const o = i * STRIDE;
      this.data[o + 1] = p.x;
      this.data[o + 2] = p.y;
      if (p.kind === 'box') {
        this.data[o] = BOX;
        this.data[o + 3] = Math.cos(p.yaw);
        this.data[o + 4] = Math.sin(p.yaw);
        this.data[o + 5] = p.hx;
        this.data[o + 6] = p.hy;
        this.data[o + 7] = Math.hypot(p.hx, p.hy);
      } else {
        this.data[o] = CYL;
        this.data[o + 5] = p.r;
        this.data[o + 7] = p.r;
      }
    });
  }

  /** Signed distance from (x, y) to the nearest shape surface (negative inside), m. */
  distance(x: number, y: number): number {
    let best = Infinity;
    for (let i = 0; i < this.count; i++) {
      const s = this.distanceTo(i, x, y);
      if (s < best) best = s;
    }
    return best;
  }

  /** Indices of the shapes closer to (x, y) than `limit` into `out` (length >= count); returns how many. */
  within(x: number, y: number, limit: number, out: Int32Array): number {
    let n = 0;
    for (let i = 0; i < this.count; i++) if (this.distanceTo(i, x, y) < limit) out[n++] = i;
    return n;
  }

  /** Signed distance from (x, y) to the nearest of the first n shapes listed in `indices`, m. */
  distanceAmong(indices: Int32Array, n: number, x: number, y: number): number {
    let best = Infinity;
    for (let k = 0; k < n; k++) {
      const s = this.distanceTo(indices[k], x, y);
      if (s < best) best = s;
    }
    return best;
  }

  /** Signed distance from (x, y) to the surface of shape i (negative inside), m. */
  distanceTo(i: number, x: number, y: number): number {
    const d = this.data;
    const o = i * STRIDE;
    const dx = x - d[o + 1];
    const dy = y - d[o + 2];
    if (d[o] !== BOX) return Math.sqrt(dx * dx + dy * dy) - d[o + 5];
    const c = d[o + 3];
    const sn = d[o + 4];
    const qx = Math.abs(c * dx + sn * dy) - d[o + 5];
    const qy = Math.abs(-sn * dx + c * dy) - d[o + 6];
    const ox = qx > 0 ? qx : 0;
    const oy = qy > 0 ? qy : 0;
    const inside = qx > qy ? qx : qy;
    return Math.sqrt(ox * ox + oy * oy) + (inside < 0 ? inside : 0);
  }

  /** Distance along the unit direction (dx, dy) from (x, y) to the first surface, capped at maxRange. */
  raycast(x: number, y: number, dx: number, dy: number, maxRange: number): number {
    let best = maxRange;
    for (let i = 0; i < this.count; i++) {
      const t = this.entry(i, x, y, dx, dy, best);
      if (t < best) best = t;
    }
    return best;
  }

  /** The second-smallest value entries() wrote (Infinity with fewer than two hits). */
  secondEntry = Infinity;

  /**
   * Entry distance of the ray into every shape: out[i] for shape i, Infinity when it misses or
   * lies beyond maxRange. Exact for the prisms, so a lower bound for the solid each one bounds.
   * Returns the index of the smallest (-1 if none) and leaves the second smallest in secondEntry.
   */
  entries(x: number, y: number, dx: number, dy: number, maxRange: number, out: Float64Array): number {
    let first = -1;
    let min = Infinity;
    let second = Infinity;
    for (let i = 0; i < this.count; i++) {
      let t = this.entry(i, x, y, dx, dy, maxRange);
      if (t > maxRange) t = Infinity;
      out[i] = t;
      if (t < min) {
        second = min;
        min = t;
        first = i;
      } else if (t < second) second = t;
    }
    this.secondEntry = second;
    return first;
  }

  /** Entry distance into shape i (Infinity on a miss; may skip the exact test past `limit`). */
  private entry(i: number, x: number, y: number, dx: number, dy: number, limit: number): number {
    const d = this.data;
    const o = i * STRIDE;
    const px = x - d[o + 1];
    const py = y - d[o + 2];
    // Bounding-circle rejection: behind the ray, beside it, or beyond the limit.
    const br = d[o + 7];
    const along = -(px * dx + py * dy);
    const pp = px * px + py * py;
    if (pp > br * br && (along < 0 || pp - along * along > br * br || along - br >= limit)) return Infinity;
    if (d[o] === BOX) {
      const c = d[o + 3];
      const sn = d[o + 4];
      return slab(c * px + sn * py, -sn * px + c * py, c * dx + sn * dy, -sn * dx + c * dy, d[o + 5], d[o + 6]);
    }
    const r = d[o + 5];
    const b = px * dx + py * dy;
    const cc = px * px + py * py - r * r;
    if (cc <= 0) return 0;
    if (b >= 0) return Infinity;
    const disc = b * b - cc;
    return disc < 0 ? Infinity : -b - Math.sqrt(disc);
  }
}

/** Entry distance of a ray (origin p, unit dir v) into the box |x| <= hx, |y| <= hy; 0 inside, Infinity on a miss. */
function slab(px: number, py: number, vx: number, vy: number, hx: number, hy: number): number {
  // Outside a slab and heading away from it: a miss without a division (half of a wall's beams).
  if ((px > hx && vx >= 0) || (px < -hx && vx <= 0) || (py > hy && vy >= 0) || (py < -hy && vy <= 0)) return Infinity;
  let t0 = -Infinity;
  let t1 = Infinity;
  if (vx !== 0) {
    const inv = 1 / vx;
    const a = (-hx - px) * inv;
    const b = (hx - px) * inv;
    t0 = Math.max(t0, Math.min(a, b));
    t1 = Math.min(t1, Math.max(a, b));
  }
  if (vy !== 0) {
    const inv = 1 / vy;
    const a = (-hy - py) * inv;
    const b = (hy - py) * inv;
    t0 = Math.max(t0, Math.min(a, b));
    t1 = Math.min(t1, Math.max(a, b));
  }
  if (t1 < 0 || t0 > t1) return Infinity;
  return t0 > 0 ? t0 : 0;
}

/** Axis-aligned bounding box of a primitive: [minX, minY, maxX, maxY]. */
export function primitiveBounds(p: Primitive): [number, number, number, number] {
  if (p.kind === 'cylinder') return [p.x - p.r, p.y - p.r, p.x + p.r, p.y + p.r];
  const c = Math.abs(Math.cos(p.yaw));
  const s = Math.abs(Math.sin(p.yaw));
  const ex = c * p.hx + s * p.hy;
  const ey = s * p.hx + c * p.hy;
  return [p.x - ex, p.y - ey, p.x + ex, p.y + ey];
}

/** The four walls around a square arena of inner half-size `half`. */
export function arenaWalls(half: number, thickness: number): Primitive[] {
  const t = thickness / 2;
  const long = half + thickness;
  return [
    { kind: 'box', x: half + t, y: 0, yaw: 0, hx: t, hy: long },
    { kind: 'box', x: -half - t, y: 0, yaw: 0, hx: t, hy: long },
    { kind: 'box', x: 0, y: half + t, yaw: 0, hx: long, hy: t },
    { kind: 'box', x: 0, y: -half - t, yaw: 0, hx: long, hy: t },
  ];
}

/** Wrap an angle to [-π, π). */
export function wrapAngle(a: number): number {
  return a - 2 * Math.PI * Math.floor((a + Math.PI) / (2 * Math.PI));
}

/** Unit beam directions of an N-beam planar scan in the base frame: beam 0 ahead, counter-clockwise. */
export function beamDirections(rays: number): { cos: Float64Array; sin: Float64Array } {
  const cos = new Float64Array(rays);
  const sin = new Float64Array(rays);
  for (let i = 0; i < rays; i++) {
    const a = (2 * Math.PI * i) / rays;
    cos[i] = Math.cos(a);
    sin[i] = Math.sin(a);
  }
  return { cos, sin };
}
