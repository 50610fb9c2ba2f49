/** Scene primitives of the navigation arena for the Foxglove `/scene` channel (z up, metres). */
import type { NavigateScenario } from '../../scenario-schema.js';
import type { ScenePrimitive } from '../../task.js';
import type { Layout, Primitive } from './geometry.js';

type Rgba = [number, number, number, number];

const WALL: Rgba = [0.55, 0.55, 0.6, 1];
const OBSTACLE: Rgba = [0.85, 0.45, 0.2, 1];
const ROBOT: Rgba = [0.2, 0.45, 0.9, 1];
const GOAL: Rgba = [0.1, 0.8, 0.3, 0.5];
const FLOOR: Rgba = [0.92, 0.92, 0.9, 1];

function yawQuat(yaw: number): [number, number, number, number] {
  return [0, 0, Math.sin(yaw / 2), Math.cos(yaw / 2)];
}

function primitive(id: string, p: Primitive, height: number, color: Rgba): ScenePrimitive {
  return p.kind === 'box'
    ? {
        id,
        shape: 'cube',
        position: [p.x, p.y, height / 2],
        orientation: yawQuat(p.yaw),
        size: [2 * p.hx, 2 * p.hy, height],
        color,
      }
    : {
        id,
        shape: 'cylinder',
        position: [p.x, p.y, height / 2],
        orientation: [0, 0, 0, 1],
        size: [2 * p.r, 2 * p.r, height],
        color,
      };
}

/** Floor, walls, obstacles, goal marker, the base and a heading marker on top of it. */
export function buildScene(
  sc: NavigateScenario,
  layout: Layout,
  base: { x: number; y: number; z: number; cosYaw: number; sinYaw: number },
): ScenePrimitive[] {
  const w = sc.world;
  const r = sc.robot;
  const side = 2 * layout.half + 2 * w.wall_thickness;
  const yaw = Math.atan2(base.sinYaw, base.cosYaw);
  const out: ScenePrimitive[] = [
    {
      id: 'floor',
      shape: 'cube',
      position: [0, 0, -0.005],
      orientation: [0, 0, 0, 1],
      size: [side, side, 0.01],
      color: FLOOR,
    },
  ];
  layout.walls.forEach((p, i) => out.push(primitive(`wall-${i}`, p, w.wall_height, WALL)));
  layout.obstacles.forEach((p, i) => out.push(primitive(`obstacle-${i}`, p, w.obstacle_height, OBSTACLE)));
  const g = sc.success.goal_radius;
  out.push({
    id: 'goal',
    shape: 'cylinder',
    position: [layout.goal.x, layout.goal.y, 0.005],
    orientation: [0, 0, 0, 1],
    size: [2 * g, 2 * g, 0.01],
    color: GOAL,
  });
  out.push({
    id: 'robot',
    shape: 'cylinder',
    position: [base.x, base.y, base.z],
    orientation: yawQuat(yaw),
    size: [2 * r.radius, 2 * r.radius, r.height],
    color: ROBOT,
  });
  const a = 0.6 * r.radius;
  out.push({
    id: 'robot-heading',
    shape: 'cube',
    position: [base.x + a * base.cosYaw, base.y + a * base.sinYaw, base.z + r.height / 2 + 0.01],
    orientation: yawQuat(yaw),
    size: [0.8 * r.radius, 0.04, 0.02],
    color: [1, 1, 1, 1],
  });
  return out;
}
