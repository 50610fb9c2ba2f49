/**
 * Planar 360° lidar on the base: `rays` beams, beam 0 along the heading, counter-clockwise, cast
 * from the base centre in the plane z = base centre. Ranges in metres, clipped to maxRange (no
 * return = maxRange). Cast once per control step.
 *
 * The `rapier` backend gets every range from a Rapier ray cast; only the choice of what to ask is
 * ours. Rapier's world-level castRay spends most of its time per beam in wasm-bindgen allocation
 * of the hit record; asking single colliders (`coCastRay`, a number back, no allocation) in the
 * order of exact planar lower bounds on their hit distance needs about one cast per beam and returns
 * the same distances (the bounds only order and prune the casts). Fixed vertical cylinders are
 * cast as their circle in the scan plane (Rapier's ball ray test, exact) instead of the cylinder
 * collider, which Rapier casts by GJK, far slower and to ±1 mm (docs/design.md, "Findings";
 * test/sim/navigate.test.ts checks both against World.castRay and exact geometry). Fixed colliders
 * that are vertical boxes, cylinders or balls get a planar bound; any other collider (moving, or
 * another shape) is cast on every beam; a change in the collider count re-reads them. Fixed colliders are read once per
 * lidar: code that moves, reshapes or swaps one in place must build a new Lidar (the navigate
 * task never does; a new episode builds a new world).
 */
import type { Collider, Rapier, World } from '../../rapier.js';
import {
  rawBall,
  rawIdentity,
  rawSets,
  rawVector,
  type RawColliderSet,
  type RawRot,
  type RawShapeRef,
  type RawVec,
} from '../../rapier-raw.js';
import { StaticShapes, beamDirections, type Primitive } from './geometry.js';

export type LidarBackend = 'rapier' | 'geometry';

/** One origin/direction pair per Rapier module, reused by every lidar (scans never interleave). */
const scratch = new WeakMap<Rapier, { origin: RawVec; dir: RawVec; identity: RawRot }>();
function scratchVectors(R: Rapier): { origin: RawVec; dir: RawVec; identity: RawRot } {
  let v = scratch.get(R);
  if (!v) {
    v = { origin: rawVector(R), dir: rawVector(R, 1, 0, 0), identity: rawIdentity(R) };
    scratch.set(R, v);
  }
  return v;
}

/**
 * A vertical cylinder's cross-section in the scan plane, a circle, as Rapier's ball shape centred
 * in that plane: for a horizontal ray between the cylinder's caps both give the same hit. Rapier
 * casts against a cylinder collider by GJK (slow, ±1 mm); against a ball it solves the quadratic
 * (fast, exact to f32), and cylinders are most of a scan's cost otherwise (docs/design.md, "Findings").
 */
class CrossSection {
  readonly ball: RawShapeRef;
  readonly centre: RawVec;
  /** The scan plane the centre is at (a JS copy: reading the wasm vector is a call). */
  planeZ: number;

  constructor(
    R: Rapier,
    x: number,
    y: number,
    radius: number,
    /** Heights of the caps: only rays strictly between them see the circle. */
    readonly zLow: number,
    readonly zHigh: number,
  ) {
    this.ball = rawBall(R, radius);
    this.planeZ = (zLow + zHigh) / 2;
    this.centre = rawVector(R, x, y, this.planeZ);
  }

  free(): void {
    this.ball.free();
    this.centre.free();
  }
}

/** Metres a planar bound is lowered by before it may prune a collider (f64 bound vs f32 Rapier). */
const BOUND_MARGIN = 1e-4;

/** |q.x|, |q.y| below this: the rotation is a yaw about z. */
const TILT_EPS = 1e-6;

/** A planar bound for a fixed collider whose cross-section in any horizontal plane it contains; null if none. */
function planarBound(R: Rapier, world: World, c: Collider): (Primitive & { section?: CrossSection }) | null {
  // The raw parent: after World.restoreSnapshot, Collider.parent() names a body even for colliders
  // attached to none (Rapier 0.20), which would make every wall look like a moving part.
  const parent = rawSets(world).colliders.coParent(c.handle);
  if (parent !== undefined && !world.getRigidBody(parent).isFixed()) return null;
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
    if (Math.abs(ax) < TILT_EPS && Math.abs(ay) < TILT_EPS) {
      const r = c.radius();
      const hh = c.halfHeight();
      return { kind: 'cylinder', x: t.x, y: t.y, r, section: new CrossSection(R, t.x, t.y, r, t.z - hh, t.z + hh) };
    }
  }
  return null;
}

/** The shape grown by BOUND_MARGIN: a ray grazing an edge in f64 may still hit it in Rapier's f32. */
function grown(p: Primitive): Primitive {
  return p.kind === 'box'
    ? { ...p, hx: p.hx + BOUND_MARGIN, hy: p.hy + BOUND_MARGIN }
    : { kind: p.kind, x: p.x, y: p.y, r: p.r + BOUND_MARGIN };
}

/** The colliders a scan asks, read from the world. */
class RayTargets {
  readonly colliderCount: number;
  readonly shapes: StaticShapes;
  /** Collider handle of each planar shape. */
  readonly handles: Float64Array;
  /** The scan-plane circle cast instead of the collider, per planar shape (vertical cylinders only). */
  readonly sections: (CrossSection | null)[];
  /** Colliders cast on every beam. */
  readonly always: Float64Array;
  /** Scratch: lower bound per planar shape for the current beam. */
  readonly bounds: Float64Array;

  constructor(R: Rapier, world: World, self: number) {
    const prims: Primitive[] = [];
    const handles: number[] = [];
    const always: number[] = [];
    const sections: (CrossSection | null)[] = [];
    let n = 0;
    world.forEachCollider((c) => {
      n++;
      if (c.handle === self) return;
      const p = planarBound(R, world, c);
      if (p) {
        prims.push(grown(p));
        handles.push(c.handle);
        sections.push(p.section ?? null);
      } else always.push(c.handle);
    });
    this.sections = sections;
    this.colliderCount = n;
    this.shapes = new StaticShapes(prims);
    this.handles = Float64Array.from(handles);
    this.always = Float64Array.from(always);
    this.bounds = new Float64Array(prims.length);
  }

  free(): void {
    for (const s of this.sections) s?.free();
  }
}

export class Lidar {
  private readonly cosBeam: Float64Array;
  private readonly sinBeam: Float64Array;
  private readonly colliders: RawColliderSet;
  private readonly origin: RawVec;
  private readonly dir: RawVec;
  private readonly identity: RawRot;
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
    ({ cos: this.cosBeam, sin: this.sinBeam } = beamDirections(rays));
    this.colliders = rawSets(world).colliders;
    ({ origin: this.origin, dir: this.dir, identity: this.identity } = scratchVectors(R));
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
    if (this.colliders.len() !== this.targets.colliderCount) {
      this.targets.free();
      this.targets = new RayTargets(this.R, this.world, this.self.handle);
    }
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
      // Each write to the wasm vector is a call: made only for beams that cast.
      const first = tg.shapes.entries(x, y, dx, dy, max, bounds);
      if (first < 0 && tg.always.length === 0) {
        out[offset + i] = max;
        continue;
      }
      dir.x = dx;
      dir.y = dy;
      let best = max;
      for (let k = 0; k < tg.always.length; k++) {
        const t = cols.coCastRay(tg.always[k], origin, dir, best, true);
        if (t >= 0 && t < best) best = t;
      }
      // Ask the collider with the smallest bound; usually its hit is below every other bound and
      // the beam is done. The margin keeps a bound computed in f64 from hiding a hit Rapier finds in f32.
      if (first >= 0 && bounds[first] - BOUND_MARGIN < best) {
        const t = this.castPlanar(first, z, best);
        if (t >= 0 && t < best) best = t;
        bounds[first] = Infinity;
        if (tg.shapes.secondEntry - BOUND_MARGIN < best) best = this.castRest(bounds, z, best);
      }
      out[offset + i] = best;
    }
  }

  /** Free the wasm shapes the scans use (the lidar is unusable afterwards). */
  dispose(): void {
    this.targets.free();
  }

  /** Rapier's hit distance on planar shape k for the current ray (negative on a miss). */
  private castPlanar(k: number, z: number, maxToi: number): number {
    const section = this.targets.sections[k];
    if (section && z > section.zLow && z < section.zHigh) {
      if (section.planeZ !== z) {
        section.centre.z = z;
        section.planeZ = z;
      }
      return section.ball.castRay(section.centre, this.identity, this.origin, this.dir, maxToi, true);
    }
    return this.colliders.coCastRay(this.targets.handles[k], this.origin, this.dir, maxToi, true);
  }

  /** The remaining colliders in the order of their bounds, while a bound is below the best hit. */
  private castRest(bounds: Float64Array, z: number, best: number): number {
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
      const t = this.castPlanar(next, z, best);
      if (t >= 0 && t < best) best = t;
    }
  }
}
