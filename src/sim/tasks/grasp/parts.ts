/**
 * The grasp world as both engines build it: body slots, every collider (shape, mass, friction,
 * collision groups) and the actuator gains after one episode's physics parameters. Rapier
 * (build.ts) and MuJoCo (mjcf.ts) read the same lists, so the two worlds differ only in the engine.
 */
import type { GraspScenario } from '../../scenario-schema.js';
import { bodyFriction, perActuator, type PhysicsParams } from '../../physics-params.js';
import type { ArmGeometry, Vec3 } from './kinematics.js';

/** Body slots: 0 ground (table + base column), 1-5 turret, upper arm, forearm, wrist, palm, 6-7 fingers, 8 cube. */
export const GROUND = 0;
export const PALM = 5;
export const FINGER_L = 6;
export const FINGER_R = 7;
export const CUBE = 8;
export const N_BODIES = 9;
/** Body names by slot (MuJoCo bodies are looked up by these). */
export const BODY_NAMES = [
  'world',
  'turret',
  'upper_arm',
  'forearm',
  'wrist',
  'palm',
  'finger_left',
  'finger_right',
  'cube',
] as const;

// Collision groups: the arm and fingers touch only the cube; the cube touches everything.
const G_TABLE = 0x1;
const G_ARM = 0x2;
const G_FINGER = 0x4;
const G_CUBE = 0x8;
const groups = (member: number, filter: number): number => ((member << 16) | filter) >>> 0;

/** True when two colliders' groups let them touch (Rapier's rule: each one's filter admits the other). */
export function collides(a: number, b: number): boolean {
  return ((a >>> 16) & b & 0xffff) !== 0 && ((b >>> 16) & a & 0xffff) !== 0;
}

/** `body_friction` group of a collider (physics-params.ts, FRICTION_BODIES.grasp). */
export type FrictionGroup = 'table' | 'cube' | 'pads' | 'links';

export interface Part {
  id: string;
  body: number;
  /** Collider centre in the body frame. */
  offset: Vec3;
  half: Vec3;
  color: [number, number, number, number];
  group: number;
  /** Nominal friction coefficient, before `friction` and `body_friction` scale it. */
  friction: number;
  frictionGroup: FrictionGroup;
  /** Nominal mass (kg) before randomization scales; 0 for fixed parts. */
  mass: number;
  /** Edge rounding radius, m (0: sharp box). */
  rounding: number;
}

/** Every collider of the scene; the same list drives building and the Foxglove `/scene`. */
export function parts(sc: GraspScenario, g: ArmGeometry, edge: number): Part[] {
  const r = sc.robot;
  const w = sc.world;
  const [tx, ty, tt] = w.table.size;
  const lw = g.linkWidth;
  const t = g.fingerThickness;
  const m = r.link_masses;
  const arm = groups(G_ARM, G_CUBE);
  const grey: Part['color'] = [0.6, 0.62, 0.66, 1];
  const orange: Part['color'] = [0.95, 0.55, 0.15, 1];
  const link = (id: string, body: number, half: Vec3, offset: Vec3, color: Part['color'], mass: number): Part => ({
    id,
    body,
    offset,
    half,
    color,
    group: arm,
    friction: r.link_friction,
    frictionGroup: 'links',
    mass,
    rounding: 0,
  });
  const finger = (id: string, body: number): Part => ({
    id,
    body,
    offset: [0, 0, 0],
    half: [t / 2, g.fingerWidth / 2, g.fingerLength / 2],
    color: [0.15, 0.15, 0.18, 1],
    group: groups(G_FINGER, G_CUBE),
    friction: r.gripper.friction,
    frictionGroup: 'pads',
    mass: r.gripper.finger_mass,
    rounding: 0.002,
  });
  return [
    {
      id: 'table',
      body: GROUND,
      offset: [w.table.center[0], w.table.center[1], -tt / 2],
      half: [tx / 2, ty / 2, tt / 2],
      color: [0.55, 0.42, 0.3, 1],
      group: groups(G_TABLE, G_CUBE),
      friction: w.table.friction,
      frictionGroup: 'table',
      mass: 0,
      rounding: 0,
    },
    link('base', GROUND, [0.06, 0.06, g.baseHeight / 2], [0, 0, g.baseHeight / 2], grey, 0),
    link('turret', 1, [lw, lw, g.shoulderHeight / 2], [0, 0, g.shoulderHeight / 2], orange, m[0]),
    link('upper_arm', 2, [lw / 2, lw / 2, g.upper / 2], [0, 0, g.upper / 2], orange, m[1]),
    link('forearm', 3, [0.4 * lw, 0.4 * lw, g.fore / 2], [0, 0, g.fore / 2], grey, m[2]),
    link('wrist', 4, [0.35 * lw, 0.35 * lw, g.wrist / 2], [0, 0, g.wrist / 2], orange, m[3]),
    link(
      'palm',
      PALM,
      [g.maxOpening / 2 + t + 0.005, g.fingerWidth / 2 + 0.005, g.palmHeight / 2],
      [0, 0, g.palmHeight / 2],
      grey,
      m[4],
    ),
    finger('finger_left', FINGER_L),
    finger('finger_right', FINGER_R),
    {
      id: 'cube',
      body: CUBE,
      offset: [0, 0, 0],
      half: [edge / 2, edge / 2, edge / 2],
      color: [0.2, 0.6, 0.95, 1],
      group: groups(G_CUBE, G_TABLE | G_ARM | G_FINGER),
      friction: w.cube.friction,
      frictionGroup: 'cube',
      mass: w.cube.mass,
      rounding: 0.002,
    },
  ];
}

/** A collider's sliding friction coefficient in this episode. */
export function partFriction(part: Part, p: PhysicsParams): number {
  return part.friction * p.friction * bodyFriction(p, part.frictionGroup);
}

/** A collider's mass in this episode, kg (0 for fixed parts). */
export function partMass(part: Part, p: PhysicsParams): number {
  return part.mass * (part.body === CUBE ? p.object_mass : p.link_mass);
}

/** Motor gains after randomization scales (force-based: N·m/rad, N·m·s/rad, N·m; fingers N/m, N·s/m, N). */
export interface Gains {
  /** Position gain per arm joint (× motor_stiffness × actuator_gain). */
  k: number[];
  /** Velocity gain of each arm joint's motor (× motor_damping). */
  motorC: number[];
  /** Viscous joint damping per arm joint (× joint_damping × actuator_damping). */
  jointC: number[];
  /** motorC + jointC: Rapier folds the joint's viscous damping into its motor. */
  c: number[];
  maxForce: number[];
  /** Coulomb friction torque per arm joint, N·m: actuator_friction × the joint's torque limit. */
  friction: number[];
  fingerK: number;
  fingerC: number;
  fingerForce: number;
}

export function gains(sc: GraspScenario, p: PhysicsParams): Gains {
  const r = sc.robot;
  // Nominal knobs multiply by exactly 1, so a nominal world is bit-identical to one built without them.
  const k = r.motor_stiffness.map((v, i) => v * p.motor_stiffness * perActuator(p.actuator_gain, i, 1));
  const motorC = r.motor_damping.map((v) => v * p.motor_damping);
  const jointC = motorC.map((_, i) => r.joint_damping * p.joint_damping * perActuator(p.actuator_damping, i, 1));
  const maxForce = r.motor_max_force.map((v) => v * p.motor_max_force);
  return {
    k,
    motorC,
    jointC,
    c: motorC.map((v, i) => v + jointC[i]),
    maxForce,
    friction: maxForce.map((f, i) => f * perActuator(p.actuator_friction, i, 0)),
    fingerK: r.gripper.stiffness * p.motor_stiffness,
    fingerC: r.gripper.damping * p.motor_damping,
    fingerForce: r.gripper.force * p.motor_max_force * (p.gripper_force ?? 1),
  };
}

/** Backlash per arm joint, rad (all zero when the episode has none). */
export function backlash(p: PhysicsParams): number[] {
  return [0, 1, 2, 3, 4].map((i) => Math.max(0, perActuator(p.actuator_backlash, i, 0)));
}
