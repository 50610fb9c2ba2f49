/**
 * Building the grasp world: table, arm (impulse joints driven by position motors), gripper
 * (force-limited prismatic fingers) and cube, from the scenario and one episode's physics parameters.
 */
import type { Rapier, RigidBody, World } from '../../rapier.js';
import type { GraspScenario } from '../../scenario-schema.js';
import type { PhysicsParams } from '../../physics-params.js';
import { forwardPoses, rotZ, type ArmGeometry, type Pose, type Vec3 } from './kinematics.js';

type UnitJoint = InstanceType<Rapier['UnitImpulseJoint']>;

/** Body slots: 0 ground (table + base column), 1-5 turret, upper arm, forearm, wrist, palm, 6-7 fingers, 8 cube. */
const GROUND = 0;
export const PALM = 5;
export const FINGER_L = 6;
export const FINGER_R = 7;
export const CUBE = 8;
export const N_BODIES = 9;

// Collision groups: the arm and fingers touch only the cube; the cube touches everything.
const G_TABLE = 0x1;
const G_ARM = 0x2;
const G_FINGER = 0x4;
const G_CUBE = 0x8;
const groups = (member: number, filter: number): number => ((member << 16) | filter) >>> 0;

export interface Part {
  id: string;
  body: number;
  /** Collider centre in the body frame. */
  offset: Vec3;
  half: Vec3;
  color: [number, number, number, number];
  group: number;
  friction: number;
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
  const finger = (id: string, body: number): Part => ({
    id,
    body,
    offset: [0, 0, 0],
    half: [t / 2, g.fingerWidth / 2, g.fingerLength / 2],
    color: [0.15, 0.15, 0.18, 1],
    group: groups(G_FINGER, G_CUBE),
    friction: r.gripper.friction,
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
      mass: 0,
      rounding: 0,
    },
    {
      id: 'base',
      body: GROUND,
      offset: [0, 0, g.baseHeight / 2],
      half: [0.06, 0.06, g.baseHeight / 2],
      color: grey,
      group: arm,
      friction: r.link_friction,
      mass: 0,
      rounding: 0,
    },
    {
      id: 'turret',
      body: 1,
      offset: [0, 0, g.shoulderHeight / 2],
      half: [lw, lw, g.shoulderHeight / 2],
      color: orange,
      group: arm,
      friction: r.link_friction,
      mass: m[0],
      rounding: 0,
    },
    {
      id: 'upper_arm',
      body: 2,
      offset: [0, 0, g.upper / 2],
      half: [lw / 2, lw / 2, g.upper / 2],
      color: orange,
      group: arm,
      friction: r.link_friction,
      mass: m[1],
      rounding: 0,
    },
    {
      id: 'forearm',
      body: 3,
      offset: [0, 0, g.fore / 2],
      half: [0.4 * lw, 0.4 * lw, g.fore / 2],
      color: grey,
      group: arm,
      friction: r.link_friction,
      mass: m[2],
      rounding: 0,
    },
    {
      id: 'wrist',
      body: 4,
      offset: [0, 0, g.wrist / 2],
      half: [0.35 * lw, 0.35 * lw, g.wrist / 2],
      color: orange,
      group: arm,
      friction: r.link_friction,
      mass: m[3],
      rounding: 0,
    },
    {
      id: 'palm',
      body: PALM,
      offset: [0, 0, g.palmHeight / 2],
      half: [g.maxOpening / 2 + t + 0.005, g.fingerWidth / 2 + 0.005, g.palmHeight / 2],
      color: grey,
      group: arm,
      friction: r.link_friction,
      mass: m[4],
      rounding: 0,
    },
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
      mass: w.cube.mass,
      rounding: 0.002,
    },
  ];
}

/** Motor gains after randomization scales (force-based: N·m/rad, N·m·s/rad, N·m; fingers N/m, N·s/m, N). */
export interface Gains {
  k: number[];
  c: number[];
  maxForce: number[];
  fingerK: number;
  fingerC: number;
  fingerForce: number;
}

export function gains(sc: GraspScenario, p: PhysicsParams): Gains {
  const r = sc.robot;
  return {
    k: r.motor_stiffness.map((v) => v * p.motor_stiffness),
    c: r.motor_damping.map((v) => v * p.motor_damping + r.joint_damping * p.joint_damping),
    maxForce: r.motor_max_force.map((v) => v * p.motor_max_force),
    fingerK: r.gripper.stiffness * p.motor_stiffness,
    fingerC: r.gripper.damping * p.motor_damping,
    fingerForce: r.gripper.force * p.motor_max_force,
  };
}

export interface StartState {
  /** Arm joint angles. */
  q: ArrayLike<number>;
  opening: number;
  cube: { x: number; y: number; yaw: number; edge: number };
}

export interface Handles {
  bodies: number[];
  joints: number[];
}

export interface Bound {
  bodies: RigidBody[];
  /** Arm joints 0-4, then fingers (−x side, +x side). */
  joints: UnitJoint[];
}

const ARM_AXES: Vec3[] = [
  [0, 0, 1],
  [0, 1, 0],
  [0, 1, 0],
  [0, 1, 0],
  [0, 0, 1],
];

export function build(
  R: Rapier,
  world: World,
  sc: GraspScenario,
  g: ArmGeometry,
  p: PhysicsParams,
  start: StartState,
): Handles {
  const { links, fingers } = forwardPoses(g, start.q, start.opening / 2);
  const c = start.cube;
  const poses: (Pose | null)[] = [null, ...links, ...fingers, { p: [c.x, c.y, c.edge / 2], q: rotZ(c.yaw) }];
  world.integrationParameters.contact_natural_frequency = sc.world.contact_frequency;
  const gravityScale = sc.robot.gravity_compensation ? 0 : 1;
  const bodies: RigidBody[] = poses.map((pose, i) => {
    if (!pose) return world.createRigidBody(R.RigidBodyDesc.fixed());
    const desc = R.RigidBodyDesc.dynamic()
      .setTranslation(pose.p[0], pose.p[1], pose.p[2])
      .setRotation({ x: pose.q[0], y: pose.q[1], z: pose.q[2], w: pose.q[3] })
      .setCanSleep(false);
    if (i !== CUBE) desc.setGravityScale(gravityScale);
    return world.createRigidBody(desc);
  });
  for (const part of parts(sc, g, c.edge)) {
    // Fingers and cube get rounded edges: parry's box-box manifold can report bogus edge-edge
    // contacts between a tilted finger and the cube top (the arm then hangs 2 cm above it);
    // the rounded-shape path (GJK) does not, and real pads and cubes have rounded edges anyway.
    const r = part.rounding;
    const d = (
      r > 0
        ? R.ColliderDesc.roundCuboid(part.half[0] - r, part.half[1] - r, part.half[2] - r, r)
        : R.ColliderDesc.cuboid(part.half[0], part.half[1], part.half[2])
    )
      .setTranslation(part.offset[0], part.offset[1], part.offset[2])
      .setFriction(part.friction * p.friction)
      .setRestitution(p.restitution)
      .setCollisionGroups(part.group);
    if (part.mass > 0) d.setMass(part.mass * (part.body === CUBE ? p.object_mass : p.link_mass));
    world.createCollider(d, bodies[part.body]);
  }
  const k = gains(sc, p);
  const joints: UnitJoint[] = [];
  const armAnchors = [g.baseHeight, g.shoulderHeight, g.upper, g.fore, g.wrist];
  for (let i = 0; i < 5; i++) {
    const [ax, ay, az] = ARM_AXES[i];
    const data = R.JointData.revolute({ x: 0, y: 0, z: armAnchors[i] }, { x: 0, y: 0, z: 0 }, { x: ax, y: ay, z: az });
    const j = world.createImpulseJoint(data, bodies[i], bodies[i + 1], true) as UnitJoint;
    j.setLimits(g.limits[i][0], g.limits[i][1]);
    j.configureMotorModel(R.MotorModel.ForceBased);
    j.configureMotorPosition(start.q[i], k.k[i], k.c[i]);
    j.setMotorMaxForce(k.maxForce[i]);
    j.setContactsEnabled(false);
    joints.push(j);
  }
  for (const [slot, sign] of [
    [FINGER_L, -1],
    [FINGER_R, 1],
  ] as const) {
    const anchor = { x: (sign * g.fingerThickness) / 2, y: 0, z: g.palmHeight + g.fingerLength / 2 };
    const data = R.JointData.prismatic(anchor, { x: 0, y: 0, z: 0 }, { x: sign, y: 0, z: 0 });
    const j = world.createImpulseJoint(data, bodies[PALM], bodies[slot], true) as UnitJoint;
    j.setLimits(0, g.maxOpening / 2);
    j.configureMotorModel(R.MotorModel.ForceBased);
    j.configureMotorPosition(start.opening / 2, k.fingerK, k.fingerC);
    j.setMotorMaxForce(k.fingerForce);
    j.setContactsEnabled(false);
    joints.push(j);
  }
  return { bodies: bodies.map((b) => b.handle), joints: joints.map((j) => j.handle) };
}

/** Look bodies and joints up again by handle (after a snapshot restore). */
export function bind(world: World, h: Handles): Bound {
  const bodies = h.bodies.map((id, i) => {
    const b = world.getRigidBody(id);
    if (!b)
      throw new Error(
        `grasp: restored world has no rigid body ${id} (slot ${i}); the snapshot does not match the task state`,
      );
    return b;
  });
  const joints = h.joints.map((id, i) => {
    const j = world.getImpulseJoint(id);
    if (!j)
      throw new Error(
        `grasp: restored world has no joint ${id} (slot ${i}); the snapshot does not match the task state`,
      );
    return j as UnitJoint;
  });
  return { bodies, joints };
}
