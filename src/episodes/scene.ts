/**
 * ScenePrimitive[] → `foxglove.SceneUpdate` (JSON encoding), so Foxglove's 3D panel shows the robot.
 * One entity per primitive, in frame "world" (z up, metres). Every primitive list the entity schema
 * has is present (empty when unused), as Foxglove's own JSON messages have them.
 */
import type { ScenePrimitive } from '../sim/task.js';

export interface Time {
  sec: number;
  nsec: number;
}
export interface Vector3 {
  x: number;
  y: number;
  z: number;
}
export interface Quaternion extends Vector3 {
  w: number;
}
export interface Pose {
  position: Vector3;
  orientation: Quaternion;
}
export interface Color {
  r: number;
  g: number;
  b: number;
  a: number;
}
export interface CubePrimitive {
  pose: Pose;
  size: Vector3;
  color: Color;
}
export type SpherePrimitive = CubePrimitive;
export interface CylinderPrimitive extends CubePrimitive {
  bottom_scale: number;
  top_scale: number;
}
export interface SceneEntity {
  timestamp: Time;
  frame_id: string;
  id: string;
  lifetime: Time;
  frame_locked: boolean;
  metadata: { key: string; value: string }[];
  arrows: never[];
  cubes: CubePrimitive[];
  spheres: SpherePrimitive[];
  cylinders: CylinderPrimitive[];
  lines: never[];
  triangles: never[];
  texts: never[];
  models: never[];
}
export interface SceneUpdate {
  deletions: { timestamp: Time; type: 0 | 1; id: string }[];
  entities: SceneEntity[];
}

const SCENE_FRAME = 'world';

function timeFromNs(ns: bigint): Time {
  return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
}

function primitive(p: ScenePrimitive): CubePrimitive {
  return {
    pose: {
      position: { x: p.position[0], y: p.position[1], z: p.position[2] },
      orientation: { x: p.orientation[0], y: p.orientation[1], z: p.orientation[2], w: p.orientation[3] },
    },
    size: { x: p.size[0], y: p.size[1], z: p.size[2] },
    color: { r: p.color[0], g: p.color[1], b: p.color[2], a: p.color[3] },
  };
}

/**
 * Build a SceneUpdate replacing each primitive's entity (same `id` ⇒ replaced in Foxglove). With
 * `clear`, it first deletes every earlier entity on the topic (used at an episode start, so objects
 * of the previous episode do not linger).
 */
export function sceneUpdate(primitives: readonly ScenePrimitive[], timestampNs: bigint, clear = false): SceneUpdate {
  const timestamp = timeFromNs(timestampNs);
  const entities = primitives.map((p): SceneEntity => {
    const prim = primitive(p);
    return {
      timestamp,
      frame_id: SCENE_FRAME,
      id: p.id,
      lifetime: { sec: 0, nsec: 0 },
      frame_locked: false,
      metadata: [],
      arrows: [],
      cubes: p.shape === 'cube' ? [prim] : [],
      spheres: p.shape === 'sphere' ? [prim] : [],
      cylinders: p.shape === 'cylinder' ? [{ ...prim, bottom_scale: 1, top_scale: 1 }] : [],
      lines: [],
      triangles: [],
      texts: [],
      models: [],
    };
  });
  return { deletions: clear ? [{ timestamp, type: 1, id: '' }] : [], entities };
}

// ---- JSON Schema (the subset of foxglove-sdk's schemas/jsonschema/SceneUpdate.json we use) ----

const num = { type: 'number' } as const;
const obj = (title: string, properties: Record<string, unknown>): Record<string, unknown> => ({
  title,
  type: 'object',
  properties,
  required: Object.keys(properties),
});
const time = (title: 'time' | 'duration'): Record<string, unknown> => ({
  type: 'object',
  title,
  properties: {
    sec: title === 'time' ? { type: 'integer', minimum: 0 } : { type: 'integer' },
    nsec: { type: 'integer', minimum: 0, maximum: 999999999 },
  },
});
const vector3 = obj('foxglove.Vector3', { x: num, y: num, z: num });
const pose = obj('foxglove.Pose', {
  position: vector3,
  orientation: obj('foxglove.Quaternion', { x: num, y: num, z: num, w: num }),
});
const color = obj('foxglove.Color', { r: num, g: num, b: num, a: num });
const shape = (title: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'array',
  items: obj(title, { pose, size: vector3, ...extra, color }),
});
/** Primitive kinds we never emit: kept in the schema so the field list matches Foxglove's. */
const unused = (title: string): Record<string, unknown> => ({ type: 'array', items: { title, type: 'object' } });

export const SCENE_UPDATE_SCHEMA_NAME = 'foxglove.SceneUpdate';

export const SCENE_UPDATE_SCHEMA = {
  title: SCENE_UPDATE_SCHEMA_NAME,
  description: 'An update to the entities displayed in a 3D scene',
  type: 'object',
  properties: {
    deletions: {
      type: 'array',
      items: {
        title: 'foxglove.SceneEntityDeletion',
        type: 'object',
        properties: {
          timestamp: time('time'),
          type: {
            title: 'foxglove.SceneEntityDeletionType',
            oneOf: [
              { title: 'MATCHING_ID', const: 0 },
              { title: 'ALL', const: 1 },
            ],
          },
          id: { type: 'string' },
        },
        required: ['timestamp', 'type', 'id'],
      },
    },
    entities: {
      type: 'array',
      items: {
        title: 'foxglove.SceneEntity',
        type: 'object',
        properties: {
          timestamp: time('time'),
          frame_id: { type: 'string' },
          id: { type: 'string' },
          lifetime: time('duration'),
          frame_locked: { type: 'boolean' },
          metadata: {
            type: 'array',
            items: obj('foxglove.KeyValuePair', { key: { type: 'string' }, value: { type: 'string' } }),
          },
          arrows: unused('foxglove.ArrowPrimitive'),
          cubes: shape('foxglove.CubePrimitive'),
          spheres: shape('foxglove.SpherePrimitive'),
          cylinders: shape('foxglove.CylinderPrimitive', { bottom_scale: num, top_scale: num }),
          lines: unused('foxglove.LinePrimitive'),
          triangles: unused('foxglove.TriangleListPrimitive'),
          texts: unused('foxglove.TextPrimitive'),
          models: unused('foxglove.ModelPrimitive'),
        },
      },
    },
  },
} as const;
