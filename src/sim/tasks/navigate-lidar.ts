/**
 * Planar 360° lidar on the base: `rays` beams, beam 0 along the heading, counter-clockwise, cast
 * from the base centre in the plane z = base centre. Ranges in metres, clipped to maxRange (no
 * return = maxRange). Cast once per control step.
 *
 * The `rapier` backend gets every range from Rapier's ray cast against the collider it hits; only
 * the choice of which colliders to ask is ours. Rapier's world-level castRay costs ~0.9 µs per
 * beam here, mostly wasm-bindgen allocation of the hit record; asking single colliders
 * (`coCastRay`, a number back, no allocation) in the order of exact planar lower bounds on their
 * hit distance needs ~1.1 collider casts per beam and returns the same distances (the bounds
 * only order and prune the casts; test/sim/navigate.test.ts checks against World.castRay). Fixed
 * colliders that are vertical boxes, cylinders or balls get a planar bound; any other collider
 * (moving, or another shape) is cast on every beam; a change in the collider count re-reads them.
 * Fixed colliders are read once per lidar: code that moves, reshapes or swaps one in place must
 * build a new Lidar (the navigate task never does; a new episode builds a new world).
 */
import type { Collider, Rapier, World } from '../rapier.js';
import { rawSets, rawVector, type RawColliderSet, type RawVec } from '../rapier-raw.js';
import { StaticShapes, type Primitive } from './navigate-geometry.js';

export type LidarBackend = 'rapier' | 'geometry';

/** One origin/direction pair per Rapier module, reused by every lidar (scans never interleave). */
const scratch = new WeakMap<Rapier, { origin: RawVec; dir: RawVec }>();
function scratchVectors(R: Rapier): { origin: RawVec; dir: RawVec } {
  let v = scratch.get(R);
  if (!v) {
    v = { origin: rawVector(R), dir: rawVector(R, 1, 0, 0) };
    scratch.set(R, v);
  }
  return v;
}

/** Metres a planar bound is lowered by before it may prune a collider (f64 bound vs f32 Rapier). */
const BOUND_MARGIN = 1e-4;

/** |q.x|, |q.y| below this: the rotation is a yaw about z. */
const TILT_EPS = 1e-6;

/** A planar bound for a fixed collider whose cross-section in any horizontal plane it contains; null if none. */
function planarBound(R: Rapier, c: Collider): Primitive | null {
  const body = c.parent();
  if (body && !body.isFixed()) return null;
  const t = c.translation();
  const q = c.rotation();
  const type = c.shapeType();
  if (type === R.ShapeType.Ball) return { kind: 'cylinder', x: t.x, y: t.y, r: c.radius() };
  if (type === R.ShapeType.Cuboid && Math.abs(q.x) < TILT_EPS && Math.abs(q.y) < TILT_EPS) {
    const h = c.halfExtents()!;
    return { kind: 'box', x: t.x, y: t.y, yaw: 2 * Math.atan2(q.z, q.w), hx: h.x, hy: h.y };
  }
  if (type === R.ShapeType.Cylinder) {
    // The cylinder's axis (local y) in world coordinates must be vertical.
    const ax = 2 * (q.x * q.y - q.w * q.z);
    const ay = 1 - 2 * (q.x * q.x + q.z * q.z);
    if (Math.abs(ax) < TILT_EPS && Math.abs(ay) < TILT_EPS) return { kind: 'cylinder', x: t.x, y: t.y, r: c.radius() };
  }
  return null;
}

/** The shape grown by BOUND_MARGIN: a ray grazing an edge in f64 may still hit it in Rapier's f32. */
function grown(p: Primitive | null): Primitive | null {
  if (!p) return null;
  return p.kind === 'box' ? { ...p, hx: p.hx + BOUND_MARGIN, hy: p.hy + BOUND_MARGIN } : { ...p, r: p.r + BOUND_MARGIN };
}

/** The colliders a scan asks, read from the world. */
class RayTargets {
  readonly colliderCount: number;
  readonly shapes: StaticShapes;
  /** Collider handle of each planar shape. */
  readonly handles: Float64Array;
  /** Colliders cast on every beam. */
  readonly always: Float64Array;
  /** Scratch: lower bound per planar shape for the current beam. */
  readonly bounds: Float64Array;

  constructor(R: Rapier, world: World, self: number) {
    const prims: Primitive[] = [];
    const handles: number[] = [];
    const always: number[] = [];
    let n = 0;
    world.forEachCollider((c) => {
      n++;
      if (c.handle === self) return;
      const p = grown(planarBound(R, c));
      if (p) {
        prims.push(p);
        handles.push(c.handle);
      } else always.push(c.handle);
    });
    this.colliderCount = n;
    this.shapes = new StaticShapes(prims);
    this.handles = Float64Array.from(handles);
    this.always = Float64Array.from(always);
    this.bounds = new Float64Array(prims.length);
  }
}

export class Lidar {
  private readonly cosBeam: Float64Array;
  private readonly sinBeam: Float64Array;
  private readonly colliders: RawColliderSet;
  private readonly origin: RawVec;
  private readonly dir: RawVec;
  private targets: RayTargets;

  constructor(
    private readonly R: Rapier,
    private readonly world: World,
    /** The base's own collider, excluded from the casts. */
    private readonly self: Collider,
    readonly rays: number,
    readonly maxRange: number,
    readonly backend: LidarBackend,
    /** The fixed shapes, for the `geometry` backend. */
    private readonly shapes: StaticShapes,
  ) {
    this.cosBeam = new Float64Array(rays);
    this.sinBeam = new Float64Array(rays);
    for (let i = 0; i < rays; i++) {
      const a = (2 * Math.PI * i) / rays;
      this.cosBeam[i] = Math.cos(a);
      this.sinBeam[i] = Math.sin(a);
    }
    this.colliders = rawSets(world).colliders;
    ({ origin: this.origin, dir: this.dir } = scratchVectors(R));
    this.targets = new RayTargets(R, world, self.handle);
  }

  /** Scan from (x, y, z) with heading (c, s) = (cos yaw, sin yaw) into out[offset .. offset + rays). */
  scan(x: number, y: number, z: number, c: number, s: number, out: Float32Array, offset: number): void {
    const max = this.maxRange;
    if (this.backend === 'geometry') {
      for (let i = 0; i < this.rays; i++) {
        const dx = c * this.cosBeam[i] - s * this.sinBeam[i];
        const dy = s * this.cosBeam[i] + c * this.sinBeam[i];
        out[offset + i] = this.shapes.raycast(x, y, dx, dy, max);
      }
      return;
    }
    if (this.colliders.len() !== this.targets.colliderCount) this.targets = new RayTargets(this.R, this.world, this.self.handle);
    const tg = this.targets;
    const bounds = tg.bounds;
    const cols = this.colliders;
    const origin = this.origin;
    const dir = this.dir;
    origin.x = x;
    origin.y = y;
    origin.z = z;
    dir.z = 0;
    for (let i = 0; i < this.rays; i++) {
      const dx = c * this.cosBeam[i] - s * this.sinBeam[i];
      const dy = s * this.cosBeam[i] + c * this.sinBeam[i];
      dir.x = dx;
      dir.y = dy;
      let best = max;
      for (let k = 0; k < tg.always.length; k++) {
        const t = cols.coCastRay(tg.always[k], origin, dir, best, true);
        if (t >= 0 && t < best) best = t;
      }
      // Ask the collider with the smallest bound; usually its hit is below every other bound and
      // the beam is done. The margin keeps a bound computed in f64 from hiding a hit Rapier finds in f32.
      const first = tg.shapes.entries(x, y, dx, dy, max, bounds);
      if (first >= 0 && bounds[first] - BOUND_MARGIN < best) {
        const t = cols.coCastRay(tg.handles[first], origin, dir, best, true);
        if (t >= 0 && t < best) best = t;
        bounds[first] = Infinity;
        if (tg.shapes.secondEntry - BOUND_MARGIN < best) best = this.castRest(bounds, best);
      }
      out[offset + i] = best;
    }
  }

  /** The remaining colliders in the order of their bounds, while a bound is below the best hit. */
  private castRest(bounds: Float64Array, best: number): number {
    const tg = this.targets;
    for (;;) {
      let next = -1;
      let lo = best;
      for (let k = 0; k < bounds.length; k++) {
        if (bounds[k] - BOUND_MARGIN < lo) {
          lo = bounds[k] - BOUND_MARGIN;
          next = k;
        }
      }
      if (next < 0) return best;
      bounds[next] = Infinity;
      const t = this.colliders.coCastRay(tg.handles[next], this.origin, this.dir, best, true);
      if (t >= 0 && t < best) best = t;
    }
  }
}
