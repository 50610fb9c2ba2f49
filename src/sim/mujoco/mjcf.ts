/** Small helpers for writing MJCF text: number formatting and the header every task model shares. */
import { gravityVector, type PhysicsParams } from '../physics-params.js';
import type { MujocoSettings } from './settings.js';

/** A number as MJCF text: full precision, no exponent surprises for tiny values. */
export function num(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`mjcf: non-finite number ${v}`);
  return Object.is(v, -0) ? '0' : String(v);
}

export function vec(...vs: readonly number[]): string {
  return vs.map(num).join(' ');
}

/** Escape text for an XML attribute value. */
export function attr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/**
 * `<compiler>`, `<option>` and the default contact parameters. Angles in radians; joint limits
 * apply where a range is given (autolimits).
 */
export function header(model: string, params: PhysicsParams, settings: MujocoSettings, dt: number): string {
  const g = gravityVector(params);
  const c = settings.contact;
  return [
    `<mujoco model="${attr(model)}">`,
    `  <compiler angle="radian" autolimits="true"/>`,
    `  <option timestep="${num(dt)}" gravity="${vec(g.x, g.y, g.z)}" integrator="${settings.integrator}" cone="${settings.cone}" iterations="${settings.iterations}" impratio="${num(settings.impratio)}"/>`,
    `  <default>`,
    `    <geom condim="${c.condim}" solref="${vec(...c.solref)}" solimp="${vec(...c.solimp)}" margin="${num(c.margin)}"/>`,
    `  </default>`,
  ].join('\n');
}

/** A geom's friction triple: `sliding` (already scaled) with the profile's torsional and rolling terms. */
export function friction(sliding: number, settings: MujocoSettings): string {
  const c = settings.contact.friction;
  return vec(sliding * c[0], c[1], c[2]);
}
