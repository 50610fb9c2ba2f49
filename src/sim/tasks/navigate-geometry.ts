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
    const d = this.data;
    let best = Infinity;
    for (let o = 0; o < d.length; o += STRIDE) {
      const dx = x - d[o + 1];
      const dy = y - d[o + 2];
      let s: number;
      if (d[o] === BOX) {
        const c = d[o + 3];
        const sn = d[o + 4];
        const qx = Math.abs(c * dx + sn * dy) - d[o + 5];
        const qy = Math.abs(-sn * dx + c * dy) - d[o + 6];
        const ox = qx > 0 ? qx : 0;
        const oy = qy > 0 ? qy : 0;
        const inside = qx > qy ? qx : qy;
        s = Math.sqrt(ox * ox + oy * oy) + (inside < 0 ? inside : 0);
      } else {
        s = Math.sqrt(dx * dx + dy * dy) - d[o + 5];
      }
      if (s < best) best = s;
    }
    return best;
  }

  /** Distance along the unit direction (dx, dy) from (x, y) to the first surface, capped at maxRange. */
  raycast(x: number, y: number, dx: number, dy: number, maxRange: number): number {
    const d = this.data;
    let best = maxRange;
    for (let o = 0; o < d.length; o += STRIDE) {
      const px = x - d[o + 1];
      const py = y - d[o + 2];
      // Bounding-circle rejection: behind the ray, beside it, or farther than the best hit so far.
      const br = d[o + 7];
      const along = -(px * dx + py * dy);
      const pp = px * px + py * py;
      if (pp > br * br && (along < 0 || pp - along * along > br * br || along - br >= best)) continue;
      let t: number;
      if (d[o] === BOX) {
        const c = d[o + 3];
        const sn = d[o + 4];
        t = slab(c * px + sn * py, -sn * px + c * py, c * dx + sn * dy, -sn * dx + c * dy, d[o + 5], d[o + 6]);
      } else {
        const r = d[o + 5];
        const b = px * dx + py * dy;
        const cc = px * px + py * py - r * r;
        if (cc <= 0) t = 0;
        else if (b >= 0) t = Infinity;
        else {
          const disc = b * b - cc;
          t = disc < 0 ? Infinity : -b - Math.sqrt(disc);
        }
      }
      if (t < best) best = t;
    }
    return best;
  }
}

/** Entry distance of a ray (origin p, unit dir v) into the box |x| <= hx, |y| <= hy; 0 inside, Infinity on a miss. */
function slab(px: number, py: number, vx: number, vy: number, hx: number, hy: number): number {
  let t0 = -Infinity;
  let t1 = Infinity;
  if (vx !== 0) {
    const a = (-hx - px) / vx;
    const b = (hx - px) / vx;
    t0 = Math.max(t0, Math.min(a, b));
    t1 = Math.min(t1, Math.max(a, b));
  } else if (px < -hx || px > hx) return Infinity;
  if (vy !== 0) {
    const a = (-hy - py) / vy;
    const b = (hy - py) / vy;
    t0 = Math.max(t0, Math.min(a, b));
    t1 = Math.min(t1, Math.max(a, b));
  } else if (py < -hy || py > hy) return Infinity;
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
