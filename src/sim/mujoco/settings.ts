/**
 * MuJoCo settings of a reality profile (`mujoco:` block, docs/scenarios.md): the solver and the
 * contact model, which have no Rapier counterpart. Sliding friction comes from the scenario's
 * coefficients (× `friction` and `body_friction`), so both engines agree on what a coefficient means.
 */
import { z } from 'zod';

const nonneg = z.number().min(0);

export const MujocoContactSchema = z.strictObject({
  /** [sliding scale, torsional, rolling]: sliding × the scenario's coefficient; torsional and rolling absolute (m). */
  friction: z.tuple([z.number().positive(), nonneg, nonneg]).default([1, 0.005, 0.0001]),
  /** Contact dimensionality: 1 frictionless, 3 sliding, 4 + torsional, 6 + rolling. */
  condim: z.union([z.literal(1), z.literal(3), z.literal(4), z.literal(6)]).default(3),
  /** [time constant s, damping ratio] of the contact spring (MuJoCo's solref). */
  solref: z.tuple([z.number().positive(), z.number().positive()]).default([0.02, 1]),
  /** [dmin, dmax, width m, midpoint, power] of the contact impedance (MuJoCo's solimp). */
  solimp: z
    .tuple([
      z.number().gt(0).lt(1),
      z.number().gt(0).lt(1),
      z.number().min(0),
      z.number().gt(0).lt(1),
      z.number().min(1),
    ])
    .default([0.9, 0.95, 0.001, 0.5, 2]),
  /** Distance at which contacts become active, m. */
  margin: nonneg.default(0),
});

export const MujocoSettingsSchema = z.strictObject({
  integrator: z.enum(['Euler', 'implicitfast', 'implicit', 'RK4']).default('implicitfast'),
  cone: z.enum(['pyramidal', 'elliptic']).default('pyramidal'),
  /** Constraint solver iterations per physics step. */
  iterations: z.int().min(1).default(50),
  /** Ratio of frictional to normal constraint impedance for elliptic cones (MuJoCo's impratio). */
  impratio: z.number().min(1).default(1),
  contact: MujocoContactSchema.prefault({}),
});

export type MujocoSettings = z.infer<typeof MujocoSettingsSchema>;
export type MujocoContact = z.infer<typeof MujocoContactSchema>;

export function defaultMujocoSettings(): MujocoSettings {
  return MujocoSettingsSchema.parse({});
}
