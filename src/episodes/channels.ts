/**
 * The channels of an episode file: topics, encodings and JSON Schemas (Foxglove decodes `json`
 * messages with a `jsonschema` schema).
 *
 * | topic       | encoding                   | schema                 | one message                          |
 * |-------------|----------------------------|------------------------|--------------------------------------|
 * | `/episode`  | json                       | sim2real.Episode       | per episode start and end            |
 * | `/step`     | json                       | sim2real.Step          | per control step                     |
 * | `/scene`    | json                       | foxglove.SceneUpdate   | at the start and every K-th step     |
 * | `/snapshot` | application/octet-stream   | none                   | per episode: the initial Rapier world |
 *
 * `/snapshot` message data is the raw `World.takeSnapshot()` bytes, nothing else; the message's
 * `sequence` field holds the episode index and its log time equals the episode's start time.
 * Episodes without a world (real robots) have no `/snapshot` message.
 */
import { SCENE_UPDATE_SCHEMA, SCENE_UPDATE_SCHEMA_NAME } from './scene.js';

export const TOPICS = {
  episode: '/episode',
  step: '/step',
  scene: '/scene',
  snapshot: '/snapshot',
} as const;

export const SNAPSHOT_ENCODING = 'application/octet-stream';

const num = { type: 'number' } as const;
const int = { type: 'integer' } as const;
const bool = { type: 'boolean' } as const;
const str = { type: 'string' } as const;
const vec = { type: 'array', items: num } as const;
const bound = { oneOf: [num, vec] } as const;
const components = {
  type: 'array',
  items: {
    type: 'object',
    properties: { name: str, size: int, unit: str, low: bound, high: bound, description: str },
    required: ['name', 'size', 'unit', 'low', 'high'],
  },
} as const;

const EPISODE_SCHEMA = {
  title: 'sim2real.Episode',
  description:
    'Episode start (event "start": scenario, seed, contract, physics, randomization) or end (event "end": success, return, length).',
  type: 'object',
  properties: {
    event: { type: 'string', enum: ['start', 'end'] },
    index: int,
    scenario: str,
    task: str,
    seed: int,
    source: { type: 'string', enum: ['sim', 'real'] },
    policyId: str,
    contract: { type: 'object', properties: { obs: components, action: components } },
    controlHz: num,
    physics: { type: 'object', additionalProperties: num },
    randomization: { type: 'object' },
    taskState: {},
    startedAt: { type: 'string', format: 'date-time' },
    success: bool,
    return: num,
    length: int,
    terminated: bool,
    truncated: bool,
    partial: {
      type: 'object',
      description: 'the recording began mid-episode, at step fromStep',
      properties: { fromStep: int },
    },
    obsOutOfRange: {
      type: 'object',
      description: "served episodes: observations outside the contract's range (steps with any, values, the first one)",
      properties: {
        steps: int,
        values: int,
        first: { type: 'object', properties: { step: int, component: str, index: int, value: num } },
      },
    },
  },
  required: ['event', 'index'],
} as const;

const STEP_SCHEMA = {
  title: 'sim2real.Step',
  description:
    'One control step: the observation the action was chosen from, the action sent and applied, and its outcome.',
  type: 'object',
  properties: {
    episode: int,
    step: int,
    time: {
      type: 'number',
      description: 'seconds since the episode start (real runs: on the server clock, as the log time)',
    },
    obs: vec,
    action: { ...vec, description: 'normalised action as sent' },
    appliedAction: { ...vec, description: 'normalised action the robot applied' },
    reward: num,
    terminated: bool,
    truncated: bool,
    trueObs: { ...vec, description: 'observation before observation wrappers' },
    expertAction: { ...vec, description: 'clean expert label' },
    latencyMs: { type: 'number', description: 'bridge round trip, ms' },
  },
  required: ['episode', 'step', 'time', 'obs', 'action', 'appliedAction', 'reward', 'terminated', 'truncated'],
} as const;

export const SCHEMAS = {
  episode: { name: 'sim2real.Episode', schema: EPISODE_SCHEMA },
  step: { name: 'sim2real.Step', schema: STEP_SCHEMA },
  scene: { name: SCENE_UPDATE_SCHEMA_NAME, schema: SCENE_UPDATE_SCHEMA },
} as const;
