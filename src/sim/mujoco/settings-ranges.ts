/**
 * MuJoCo settings as per-episode ranges, for training episodes run in MuJoCo (mixed-engine.ts):
 * the contact model's stiffness, damping, impedance and torsional/rolling friction, and the cone.
 */
import { z } from 'zod';
import type { Rng } from '../rng.js';
import { defaultMujocoSettings, type MujocoSettings } from './settings.js';

const Range = z
  .tuple([z.number(), z.number()])
  .refine(([lo, hi]) => lo <= hi, { message: 'expected [lo, hi] with lo <= hi' });

export const MujocoRangesSchema = z.strictObject({
  /** Fraction of randomized episodes run in MuJoCo (the rest in Rapier). */
  fraction: z.number().min(0).max(1),
  /** Contact spring time constant, s (solref[0]). */
  solref_timeconst: Range.refine(([lo]) => lo > 0, { message: 'expected a positive time constant' }).optional(),
  /** Contact damping ratio (solref[1]). */
  solref_dampratio: Range.refine(([lo]) => lo > 0, { message: 'expected a positive damping ratio' }).optional(),
  /** Impedance at zero penetration (solimp[0]); solimp[1] stays ≥ it. */
  solimp_dmin: Range.refine(([lo, hi]) => lo > 0 && hi < 1, { message: 'expected values in (0, 1)' }).optional(),
  /** Torsional friction, m. */
  torsional: Range.refine(([lo]) => lo >= 0, { message: 'expected ≥ 0' }).optional(),
  /** Rolling friction, m. */
  rolling: Range.refine(([lo]) => lo >= 0, { message: 'expected ≥ 0' }).optional(),
  /** Probability of an elliptic friction cone (else pyramidal). */
  elliptic: z.number().min(0).max(1).optional(),
  /** Contact dimensionalities to pick from uniformly. */
  condim: z
    .array(z.union([z.literal(3), z.literal(4), z.literal(6)]))
    .min(1)
    .optional(),
});

export type MujocoRanges = z.infer<typeof MujocoRangesSchema>;

/** One episode's settings; every draw is taken even when unused, so one range does not shift the others. */
export function sampleMujocoSettings(r: MujocoRanges, rng: Rng): MujocoSettings {
  const s = defaultMujocoSettings();
  const u = (range: readonly [number, number] | undefined, nominal: number) => {
    const x = rng.next();
    return range ? range[0] + (range[1] - range[0]) * x : nominal;
  };
  const c = s.contact;
  c.solref = [u(r.solref_timeconst, c.solref[0]), u(r.solref_dampratio, c.solref[1])];
  const dmin = u(r.solimp_dmin, c.solimp[0]);
  c.solimp = [dmin, Math.max(dmin, c.solimp[1]), c.solimp[2], c.solimp[3], c.solimp[4]];
  c.friction = [c.friction[0], u(r.torsional, c.friction[1]), u(r.rolling, c.friction[2])];
  const e = rng.next();
  if (r.elliptic !== undefined && e < r.elliptic) s.cone = 'elliptic';
  const k = rng.next();
  if (r.condim) c.condim = r.condim[Math.min(r.condim.length - 1, Math.floor(k * r.condim.length))];
  return s;
}
