/**
 * The slice of Rapier's wasm-bindgen layer that hot loops call directly (Rapier version pinned in
 * package.json). The public wrappers allocate a wasm vector per call (`VectorOps.intoRaw`) and a
 * result object per hit; at one call per beam or per physics substep that allocation costs more
 * than the physics query itself, so these loops reuse scratch vectors instead.
 */
import type { Rapier, World } from './rapier.js';

/** A wasm-side 3-vector whose components can be written in place. */
export interface RawVec {
  x: number;
  y: number;
  z: number;
  free(): void;
}

export interface RawBodySet {
  rbApplyImpulse(handle: number, impulse: RawVec, wakeUp: boolean): void;
  rbApplyTorqueImpulse(handle: number, torqueImpulse: RawVec, wakeUp: boolean): void;
}

export interface RawColliderSet {
  /** Time of impact of the ray on this one collider (in its current pose), or a negative number on a miss. */
  coCastRay(handle: number, origin: RawVec, dir: RawVec, maxToi: number, solid: boolean): number;
  len(): number;
  /** Handle of the body the collider is attached to, undefined if none. */
  coParent(handle: number): number | undefined;
}

/** The raw body and collider sets of a world (valid as long as the world is). */
export function rawSets(world: World): { bodies: RawBodySet; colliders: RawColliderSet } {
  const w = world as unknown as { bodies: { raw: RawBodySet }; colliders: { raw: RawColliderSet } };
  return { bodies: w.bodies.raw, colliders: w.colliders.raw };
}

/** A new wasm vector owned by the caller (lives as long as the Rapier module; free() when done). */
export function rawVector(R: Rapier, x = 0, y = 0, z = 0): RawVec {
  return R.VectorOps.intoRaw({ x, y, z }) as unknown as RawVec;
}

/** A wasm-side rotation (only ever the identity here). */
export interface RawRot {
  free(): void;
}

/** A wasm-side shape outside any world: Rapier's ray test against it at a given pose. */
export interface RawShapeRef {
  castRay(shapePos: RawVec, shapeRot: RawRot, rayOrig: RawVec, rayDir: RawVec, maxToi: number, solid: boolean): number;
  free(): void;
}

/** Rapier's ball shape of this radius, owned by the caller. */
export function rawBall(R: Rapier, radius: number): RawShapeRef {
  return new R.Ball(radius).intoRaw() as unknown as RawShapeRef;
}

/** The identity rotation, owned by the caller. */
export function rawIdentity(R: Rapier): RawRot {
  return R.RotationOps.intoRaw({ x: 0, y: 0, z: 0, w: 1 }) as unknown as RawRot;
}
