/**
 * The navigate world as MJCF: a floor, the layout's walls and obstacles (the same shapes the Rapier
 * task builds), and a differential-drive robot on real wheels.
 *
 * The robot: a chassis (free joint; a cylinder of robot.radius × robot.height riding `CLEARANCE`
 * above the floor), two wheels on hinges at ±track/2 (wheels.ts) driven by velocity actuators
 * (ball-profile tyres: one contact point each, so turning on the spot does not scrub them), a
 * frictionless ball caster in front and one behind that floats a little (a two-wheel base rocks
 * onto it when accelerating). Its centre of mass sits slightly ahead of the axle so the front
 * caster always carries a few percent of the weight and the wheels the rest.
 *
 * The wheels' speed loop matches the Rapier base's velocity loop (robot.ts) at nominal mass:
 *   ground force per wheel = kv / rw² · (v*_i − v_i) = ½ · m_eff · k / (1 + c) · (v*_i − v_i)
 * with k = velocity_gain × motor_stiffness × actuator_gain[i], c = velocity_damping × motor_damping
 * (Rapier's acceleration feedback −c·a amounts to dividing the gain by 1 + c), m_eff the nominal
 * mass plus the wheels' and rotors' inertia seen at the floor. Torque limit: wheels.ts's force
 * limit × rw. Wheel damping: m · linear_damping × joint_damping × actuator_damping[i] · rw² / 2 (the
 * base's forward damping; its yaw damping follows from the track). Wheel Coulomb friction
 * (frictionloss): actuator_friction[i] × the torque limit. Wheel–floor friction: wheel_friction ×
 * friction × body_friction.wheels × body_friction.floor (the wheels' geoms outrank the floor's, so
 * theirs is the pair's). Walls, obstacles, floor and chassis: world.friction × friction × their
 * body_friction; walls and obstacles outrank the chassis too (MuJoCo would otherwise take the
 * larger of the two coefficients, and a slippery wall would change nothing). Solver and contact
 * parameters: the profile's (mjcf.ts header()). MuJoCo has no restitution: PhysicsParams.restitution
 * is not used.
 */
import { bodyFriction, type PhysicsParams } from '../../physics-params.js';
import type { NavigateScenario } from '../../scenario-schema.js';
import { friction, header, num, vec } from '../../mujoco/mjcf.js';
import type { MujocoSettings } from '../../mujoco/settings.js';
import type { Layout, Primitive } from './geometry.js';
import { wheelForceLimit, wheelTrack, wheelKnobs } from './wheels.js';

/** Ground clearance of the chassis, m. */
const CLEARANCE = 0.01;
/** Each wheel's share of the robot's mass. */
const WHEEL_MASS_FRACTION = 0.05;
/** A geared motor's rotor inertia seen at the wheel axle, kg·m². */
const ARMATURE = 1e-4;
/** How far the rear caster floats above the floor, m. */
const REAR_CASTER_GAP = 0.002;
/** Centre of mass ahead of the axle, as a fraction of the radius. */
const COM_AHEAD = 0.05;
/** Space between the top of the wheels and the lidar's scan plane, m. */
const SCAN_CLEARANCE = 0.005;

/** MJCF names the MuJoCo instance looks up. */
export const NAMES = { base: 'base', wheels: ['left-wheel', 'right-wheel'] } as const;

/**
 * Wheel radius, m: at most 3.5 cm, inside the chassis footprint, and low enough that the wheels
 * stay under the lidar's scan plane (robot.height / 2): the lidar can leave out one body, the
 * chassis, and not by geom group (mujoco-lidar.ts).
 */
export function wheelRadius(sc: NavigateScenario): number {
  const belowScan = (sc.robot.height / 2 - SCAN_CLEARANCE) / 2;
  return Math.max(0.005, Math.min(0.035, 0.25 * sc.robot.radius, belowScan));
}

function casterRadius(sc: NavigateScenario): number {
  return 0.4 * wheelRadius(sc);
}

/** The speed loop's gain kv of one wheel at nominal knobs, N·m·s/rad (before actuator_gain). */
function wheelGain(sc: NavigateScenario, params: PhysicsParams): number {
  const rb = sc.robot;
  const rw = wheelRadius(sc);
  const wheelMass = WHEEL_MASS_FRACTION * rb.mass;
  const axleInertia = 0.5 * wheelMass * rw * rw + ARMATURE;
  const massEff = rb.mass + (2 * axleInertia) / (rw * rw);
  const k = (rb.velocity_gain * params.motor_stiffness) / (1 + rb.velocity_damping * params.motor_damping);
  return (k * massEff * rw * rw) / 2;
}

/** A wall or obstacle. It outranks the chassis (priority), so its friction is the pair's. */
function primitiveGeom(name: string, p: Primitive, height: number, mu: string): string {
  const pos = vec(p.x, p.y, height / 2);
  const common = `friction="${mu}" priority="1"`;
  if (p.kind === 'cylinder')
    return `    <geom name="${name}" type="cylinder" pos="${pos}" size="${vec(p.r, height / 2)}" ${common}/>`;
  const yaw = p.yaw === 0 ? '' : ` euler="0 0 ${num(p.yaw)}"`;
  return `    <geom name="${name}" type="box" pos="${pos}"${yaw} size="${vec(p.hx, p.hy, height / 2)}" ${common}/>`;
}

/** The whole model; the robot starts at rest at layout.start, its wheels on the floor. */
export function navigateMjcf(
  sc: NavigateScenario,
  params: PhysicsParams,
  layout: Layout,
  settings: MujocoSettings,
  dt: number,
): string {
  const rb = sc.robot;
  const w = sc.world;
  const base = w.friction * params.friction;
  const mu = (body: string) => friction(base * bodyFriction(params, body), settings);
  const floorSize = layout.half + w.wall_thickness + 1;

  const rw = wheelRadius(sc);
  const rc = casterRadius(sc);
  const halfTrack = wheelTrack(sc) / 2;
  const mass = rb.mass * params.link_mass;
  const wheelMass = WHEEL_MASS_FRACTION * mass;
  const chassisMass = mass - 2 * wheelMass;
  // The body frame sits on the wheel axle, under the base centre.
  const chassisZ = CLEARANCE + rb.height / 2 - rw;
  const r = rb.radius;
  const casterX = r - rc - 0.01;
  const wheelMu = friction(
    rb.wheel_friction * params.friction * bodyFriction(params, 'wheels') * bodyFriction(params, 'floor'),
    settings,
  );
  const knobs = wheelKnobs(params);
  const kv = wheelGain(sc, params);
  const torque = wheelForceLimit(sc, params) * rw;
  const damping = (mass * rb.linear_damping * params.joint_damping * rw * rw) / 2;
  const yaw = layout.start.yaw;

  const wheel = (i: 0 | 1) => {
    const name = NAMES.wheels[i];
    const y = i === 0 ? halfTrack : -halfTrack;
    // A thin disc; its tyre touches the floor at one point (a ball profile: no scrub when turning).
    const iAxle = 0.5 * wheelMass * rw * rw;
    const iSide = 0.25 * wheelMass * rw * rw;
    return [
      `      <body name="${name}" pos="${vec(0, y, 0)}">`,
      `        <joint name="${name}" type="hinge" axis="0 1 0" damping="${num(damping * knobs.damping[i])}" frictionloss="${num(knobs.friction[i] * torque)}" armature="${num(ARMATURE)}"/>`,
      `        <inertial pos="0 0 0" mass="${num(wheelMass)}" diaginertia="${vec(iSide, iAxle, iSide)}"/>`,
      `        <geom name="${name}" type="sphere" size="${num(rw)}" priority="1" friction="${wheelMu}"/>`,
      `      </body>`,
    ];
  };
  const actuator = (i: 0 | 1) =>
    `    <velocity name="${NAMES.wheels[i]}" joint="${NAMES.wheels[i]}" kv="${num(kv * knobs.gain[i])}" forcerange="${vec(-torque, torque)}"/>`;

  return [
    header('navigate', params, settings, dt),
    '  <worldbody>',
    `    <geom name="floor" type="plane" size="${vec(floorSize, floorSize, 0.1)}" friction="${mu('floor')}"/>`,
    ...layout.walls.map((p, i) => primitiveGeom(`wall-${i}`, p, w.wall_height, mu('walls'))),
    ...layout.obstacles.map((p, i) => primitiveGeom(`obstacle-${i}`, p, w.obstacle_height, mu('obstacles'))),
    `    <body name="${NAMES.base}" pos="${vec(layout.start.x, layout.start.y, rw)}" quat="${vec(Math.cos(yaw / 2), 0, 0, Math.sin(yaw / 2))}">`,
    `      <freejoint name="${NAMES.base}"/>`,
    `      <inertial pos="${vec(COM_AHEAD * r, 0, chassisZ)}" mass="${num(chassisMass)}" diaginertia="${vec(
      (chassisMass * (3 * r * r + rb.height * rb.height)) / 12,
      (chassisMass * (3 * r * r + rb.height * rb.height)) / 12,
      0.5 * chassisMass * r * r,
    )}"/>`,
    `      <geom name="chassis" type="cylinder" pos="${vec(0, 0, chassisZ)}" size="${vec(r, rb.height / 2)}" friction="${friction(base, settings)}"/>`,
    `      <geom name="caster-front" type="sphere" pos="${vec(casterX, 0, rc - rw)}" size="${num(rc)}" condim="1" priority="1"/>`,
    `      <geom name="caster-rear" type="sphere" pos="${vec(-casterX, 0, rc - rw + REAR_CASTER_GAP)}" size="${num(rc)}" condim="1" priority="1"/>`,
    ...wheel(0),
    ...wheel(1),
    '    </body>',
    '  </worldbody>',
    '  <actuator>',
    actuator(0),
    actuator(1),
    '  </actuator>',
    '</mujoco>',
    '',
  ].join('\n');
}
