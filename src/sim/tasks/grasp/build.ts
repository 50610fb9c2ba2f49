/**
 * Building the grasp world in Rapier: table, arm (impulse joints driven by position motors), gripper
 * (force-limited prismatic fingers) and cube, from the scenario and one episode's physics parameters
 * (the colliders and gains themselves are in parts.ts, shared with MuJoCo).
 */
import type { Rapier, RigidBody, World } from '../../rapier.js';
import type { GraspScenario } from '../../scenario-schema.js';
import type { PhysicsParams } from '../../physics-params.js';
import { axisVector, forwardPoses, JOINT_AXES, rotZ, type ArmGeometry, type Pose } from './kinematics.js';
import { CUBE, FINGER_L, FINGER_R, gains, PALM, partFriction, partMass, parts } from './parts.js';

type UnitJoint = InstanceType<Rapier['UnitImpulseJoint']>;

export interface StartPose {
  /** Arm joint angles. */
  q: ArrayLike<number>;
  opening: number;
  cube: { x: number; y: number; yaw: number; edge: number };
}

export interface Handles {
  bodies: number[];
  /** Arm joints 0-4, then fingers (−x side, +x side). */
  joints: number[];
}

export interface Bound {
  bodies: RigidBody[];
  /** Arm joints 0-4, then fingers (−x side, +x side). */
  joints: UnitJoint[];
}

export function build(
  R: Rapier,
  world: World,
  sc: GraspScenario,
  g: ArmGeometry,
  p: PhysicsParams,
  start: StartPose,
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
      .setFriction(partFriction(part, p))
      .setRestitution(p.restitution)
      .setCollisionGroups(part.group);
    if (part.mass > 0) d.setMass(partMass(part, p));
    world.createCollider(d, bodies[part.body]);
  }
  const k = gains(sc, p);
  const joints: UnitJoint[] = [];
  const armAnchors = [g.baseHeight, g.shoulderHeight, g.upper, g.fore, g.wrist];
  for (let i = 0; i < 5; i++) {
    const [ax, ay, az] = axisVector(JOINT_AXES[i]);
    const data = R.JointData.revolute({ x: 0, y: 0, z: armAnchors[i] }, { x: 0, y: 0, z: 0 }, { x: ax, y: ay, z: az });
    const j = world.createImpulseJoint(data, bodies[i], bodies[i + 1], true) as UnitJoint;
    j.setLimits(g.limits[i][0], g.limits[i][1]);
    j.configureMotorModel(R.MotorModel.ForceBased);
    j.configureMotorPosition(start.q[i], k.k[i], k.c[i]);
    // With joint friction the motor stands for the net torque (rapier-plant.ts), which friction caps lower.
    j.setMotorMaxForce(k.friction[i] > 0 ? Math.max(0, k.maxForce[i] - k.friction[i]) : k.maxForce[i]);
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
