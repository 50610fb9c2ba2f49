/**
 * The grasp world as MJCF: the same colliders, masses, joints and gains as the Rapier world
 * (parts.ts), in one model per episode with the start state as its keyframe.
 *
 * Where the engines differ on purpose:
 * - Contacts are explicit `<pair>`s (every geom has contype = conaffinity = 0): exactly the pairs
 *   Rapier's collision groups allow (arm and fingers touch only the cube), each with the mean of
 *   its two geoms' sliding coefficients, Rapier's combine rule. MuJoCo would otherwise take the
 *   larger of the two, and a coefficient (or a `body_friction` scale) would mean something else in
 *   each engine. Torsional and rolling friction, condim, solref, solimp and margin are the profile's.
 * - Restitution (`params.restitution`) is ignored: MuJoCo's contacts are soft constraints with no
 *   coefficient of restitution; bounce could only be faked through solref's damping, which would
 *   change every contact's stiffness with it. The grasp scenario's restitution is 0 anyway.
 * - Joint viscous damping is the joint's `damping` (passive, not capped by the motor's force
 *   range); in Rapier it is folded into the motor's velocity gain under the force cap.
 * - Finger pads and cube are sharp boxes (Rapier rounds their edges by 2 mm to dodge bogus
 *   box-box manifolds; MuJoCo's box-box collider does not need it).
 */
import type { GraspScenario } from '../../scenario-schema.js';
import { ACTUATORS, type PhysicsParams } from '../../physics-params.js';
import type { MujocoSettings } from '../../mujoco/settings.js';
import { header, num, vec } from '../../mujoco/mjcf.js';
import { axisVector, JOINT_AXES, type ArmGeometry } from './kinematics.js';
import {
  BODY_NAMES,
  collides,
  CUBE,
  FINGER_L,
  FINGER_R,
  gains,
  GROUND,
  partFriction,
  partMass,
  parts,
  type Part,
} from './parts.js';
import type { GraspStart } from './start.js';

/** MJCF joint and actuator names of the arm (the per-actuator knobs' names). */
const ARM_JOINTS = ACTUATORS.grasp;

/**
 * Joint friction (frictionloss) as near-hard Coulomb friction. MuJoCo regularises it like a contact,
 * so a loaded joint creeps at about (1 − d) / d × torque / (inertia × 2 / τ); with the defaults
 * (d 0.9-0.95, τ 0.02 s) a wrist loaded at its friction torque creeps through its whole dead band
 * within a control step and the knob does nothing. With d = 0.9999 and τ = 2·dt a servo stalls
 * τ_f / kp short of its target, as Coulomb friction predicts (and as Rapier's emulation does).
 */
const JOINT_FRICTION_SOLIMP = '0.9999 0.9999 0.001 0.5 2';

/**
 * Pad–cube contacts: firmer than the profile's contact by a fixed ratio, so a profile that softens
 * contacts softens the grip too. MuJoCo's soft contacts sink in by about force × (1 − d) × τ² /
 * effective mass; squeezing a 50-60 g cube between 50 g fingers at 15 N (25 times its weight) sinks
 * the pads ~4 mm each with MuJoCo's defaults (τ 0.02 s, d 0.9-0.95), enough to jam the cube's
 * corners into the pads. Halving τ (never below 2 × dt, where MuJoCo stops integrating contacts
 * stably) and dividing 1 − d by 5 takes it to ~0.5 mm, near what Rapier's 120 Hz contacts (the
 * scenario's `contact_frequency`) give.
 */
function gripContact(settings: MujocoSettings, dt: number): { solref: number[]; solimp: number[] } {
  const [tau, zeta] = settings.contact.solref;
  const [dmin, dmax, ...rest] = settings.contact.solimp;
  const harder = (d: number): number => 1 - (1 - d) / 5;
  return { solref: [Math.max(tau / 2, 2 * dt), zeta], solimp: [harder(dmin), harder(dmax), ...rest] };
}

function geom(part: Part, p: PhysicsParams): string {
  const mass = part.body !== GROUND && part.mass > 0 ? ` mass="${num(partMass(part, p))}"` : '';
  return `<geom name="${part.id}" type="box" size="${vec(...part.half)}" pos="${vec(...part.offset)}"${mass} contype="0" conaffinity="0" rgba="${vec(...part.color)}"/>`;
}

/**
 * The episode's MJCF. Body order (and so MuJoCo body ids) follows the slots of parts.ts; actuators
 * are the five arm joints, then the fingers (−x, +x side).
 */
export function graspMjcf(
  sc: GraspScenario,
  g: ArmGeometry,
  p: PhysicsParams,
  settings: MujocoSettings,
  dt: number,
  start: GraspStart,
): string {
  const all = parts(sc, g, start.cube.edge);
  const k = gains(sc, p);
  const gravcomp = sc.robot.gravity_compensation ? ' gravcomp="1"' : '';
  const geomsOf = (body: number, pad: string): string[] =>
    all.filter((part) => part.body === body).map((part) => pad + geom(part, p));
  const lines: string[] = [header(sc.name, p, settings, dt), '  <worldbody>', ...geomsOf(GROUND, '    ')];

  // The arm: each link's frame sits on its joint axis, at the parent's anchor (kinematics.ts).
  const anchors = [g.baseHeight, g.shoulderHeight, g.upper, g.fore, g.wrist];
  // Reflected rotor inertia (armature), kg·m²: the scenario's nominal position gain × dt², which puts
  // each servo's natural frequency at the physics rate. Without it the light wrist (a few g·m²)
  // under kp = 200-500 N·m/rad is an explicit spring MuJoCo resolves badly at dt = 5 ms: the palm
  // jerks when a lift starts and flings the gripped cube (the expert lifted 0 of 20). Its time
  // constant armature / kv (< 1 ms) is far below the servos' kv / kp (40 ms), so tracking at the
  // control rate is unchanged. (MuJoCo Menagerie's UR5e model uses 0.1 on every joint.)
  const armature = sc.robot.motor_stiffness.map((kp) => kp * dt * dt);
  let pad = '    ';
  for (let i = 0; i < 5; i++) {
    const [lo, hi] = g.limits[i];
    const friction =
      k.friction[i] > 0
        ? ` frictionloss="${num(k.friction[i])}" solreffriction="${vec(2 * dt, 1)}" solimpfriction="${JOINT_FRICTION_SOLIMP}"`
        : '';
    lines.push(`${pad}<body name="${BODY_NAMES[i + 1]}" pos="0 0 ${num(anchors[i])}"${gravcomp}>`);
    lines.push(
      `${pad}  <joint name="${ARM_JOINTS[i]}" type="hinge" axis="${vec(...axisVector(JOINT_AXES[i]))}" range="${vec(lo, hi)}" damping="${num(k.jointC[i])}"${friction} armature="${num(armature[i])}"/>`,
    );
    lines.push(...geomsOf(i + 1, `${pad}  `));
    pad += '  ';
  }
  // Fingers slide outwards from the palm's centre line along ∓x; travel = half the opening.
  for (const [slot, sign] of [
    [FINGER_L, -1],
    [FINGER_R, 1],
  ] as const) {
    const name = BODY_NAMES[slot];
    lines.push(
      `${pad}<body name="${name}" pos="${vec((sign * g.fingerThickness) / 2, 0, g.palmHeight + g.fingerLength / 2)}"${gravcomp}>`,
    );
    lines.push(`${pad}  <joint name="${name}" type="slide" axis="${sign} 0 0" range="${vec(0, g.maxOpening / 2)}"/>`);
    lines.push(...geomsOf(slot, `${pad}  `));
    lines.push(`${pad}</body>`);
  }
  for (let i = 4; i >= 0; i--) {
    pad = pad.slice(2);
    lines.push(`${pad}</body>`);
  }
  const c = start.cube;
  const cubeQuat = [Math.cos(c.yaw / 2), 0, 0, Math.sin(c.yaw / 2)];
  lines.push(`    <body name="${BODY_NAMES[CUBE]}" pos="${vec(c.x, c.y, c.edge / 2)}" quat="${vec(...cubeQuat)}">`);
  lines.push(`      <freejoint name="cube"/>`);
  lines.push(...geomsOf(CUBE, '      '));
  lines.push('    </body>', '  </worldbody>');

  lines.push('  <contact>');
  const cs = settings.contact;
  for (let a = 0; a < all.length; a++) {
    for (let b = a + 1; b < all.length; b++) {
      const pa = all[a];
      const pb = all[b];
      if (pa.body === pb.body || !collides(pa.group, pb.group)) continue;
      const sliding = ((partFriction(pa, p) + partFriction(pb, p)) / 2) * cs.friction[0];
      const grip = pa.frictionGroup === 'pads' || pb.frictionGroup === 'pads';
      const { solref, solimp } = grip ? gripContact(settings, dt) : cs;
      lines.push(
        `    <pair geom1="${pa.id}" geom2="${pb.id}" condim="${cs.condim}" friction="${vec(sliding, sliding, cs.friction[1], cs.friction[2], cs.friction[2])}" solref="${vec(...solref)}" solimp="${vec(...solimp)}" margin="${num(cs.margin)}"/>`,
      );
    }
  }
  lines.push('  </contact>');

  lines.push('  <actuator>');
  for (let i = 0; i < 5; i++) {
    lines.push(
      `    <position name="${ARM_JOINTS[i]}" joint="${ARM_JOINTS[i]}" kp="${num(k.k[i])}" kv="${num(k.motorC[i])}" forcerange="${vec(-k.maxForce[i], k.maxForce[i])}"/>`,
    );
  }
  for (const slot of [FINGER_L, FINGER_R]) {
    const name = BODY_NAMES[slot];
    lines.push(
      `    <position name="${name}" joint="${name}" kp="${num(k.fingerK)}" kv="${num(k.fingerC)}" forcerange="${vec(-k.fingerForce, k.fingerForce)}"/>`,
    );
  }
  lines.push('  </actuator>');

  const s = start.opening / 2;
  const q = Array.from(start.q);
  lines.push(
    '  <keyframe>',
    `    <key name="start" qpos="${vec(...q, s, s, c.x, c.y, c.edge / 2, ...cubeQuat)}" ctrl="${vec(...q, s, s)}"/>`,
    '  </keyframe>',
    '</mujoco>',
  );
  return lines.join('\n');
}
