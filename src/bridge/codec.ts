/**
 * Frames ⇄ messages. One MessagePack map per frame (msgpackr with records off, so any MessagePack
 * library reads it); float vectors as little-endian float32 `bin`. Decoding validates: control
 * messages with zod schemas, the per-step messages (obs, action, heartbeat) by hand because they
 * sit in the control loop. Anything wrong throws a ProtocolError carrying the error code to reply with.
 */
import { Packr } from 'msgpackr';
import { endianness } from 'node:os';
import { z } from 'zod';
import { ComponentSchema } from '../sim/scenario-schema.js';
import { MAX_FRAME_BYTES, MAX_ID, type ErrorCode, type RobotMessage, type ServerMessage } from './messages.js';

if (endianness() !== 'LE')
  throw new Error('sim2real bridge: big-endian hosts are not supported (vectors are little-endian float32)');

const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true, int64AsType: 'number' });

export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly replyTo?: number,
  ) {
    super(message);
  }
}

/** Float32Array → its little-endian bytes (a view, no copy). */
function vectorBytes(v: Float32Array): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** bin → Float32Array (copied so it is aligned and owned). */
function bytesVector(b: Uint8Array, field: string, replyTo?: number): Float32Array {
  if (!(b instanceof Uint8Array))
    throw new ProtocolError('bad_field', `${field}: expected bin (float32 little-endian), got ${typeof b}`, replyTo);
  if (b.byteLength % 4 !== 0)
    throw new ProtocolError(
      'bad_vector',
      `${field}: expected a multiple of 4 bytes (float32), got ${b.byteLength}`,
      replyTo,
    );
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

/** Id fields: msgpackr writes an integer beyond 32 bits as a float64, which the protocol forbids for ids. */
const ID_FIELDS = new Set(['seq', 'reply_to', 'episode', 'step', 'policy_version']);

export function encode(msg: RobotMessage | ServerMessage): Buffer {
  // One pass into a fresh object (this runs twice per control step): msgpackr writes `undefined` as
  // an extension type (fixext 0), so such fields are left out, and float vectors go as bytes.
  const wire: Record<string, unknown> = {};
  const fields = msg as unknown as Record<string, unknown>;
  for (const k in fields) {
    const v = fields[k];
    if (v === undefined) continue;
    if (v instanceof Float32Array) wire[k] = vectorBytes(v);
    else if (k === 'sessions' && Array.isArray(v))
      wire[k] = v.map((row: Record<string, unknown>) =>
        Object.fromEntries(Object.entries(row).map(([rk, rv]) => [rk, wireId(rk, rv)])),
      );
    else wire[k] = wireId(k, v);
  }
  return packr.pack(wire);
}

function wireId(k: string, v: unknown): unknown {
  return typeof v === 'number' && v > 0xffffffff && ID_FIELDS.has(k) && Number.isSafeInteger(v) ? BigInt(v) : v;
}

function decodeMap(frame: Uint8Array): Record<string, unknown> {
  if (frame.byteLength > MAX_FRAME_BYTES)
    throw new ProtocolError('too_large', `frame of ${frame.byteLength} bytes, expected at most ${MAX_FRAME_BYTES}`);
  let m: unknown;
  try {
    m = packr.unpack(frame);
  } catch (e) {
    throw new ProtocolError(
      'malformed',
      `expected one MessagePack map, got undecodable bytes (${(e as Error).message.split('\n')[0]})`,
    );
  }
  // Only a plain map: msgpackr also decodes extension types (a timestamp → Date) and the reserved
  // byte 0xc1 into objects, which must not pass for a message.
  const proto = m !== null && typeof m === 'object' ? Object.getPrototypeOf(m) : undefined;
  if (proto !== Object.prototype && proto !== null) {
    throw new ProtocolError('malformed', `expected a MessagePack map, got ${describeValue(m)}`);
  }
  return m as Record<string, unknown>;
}

/** A value a peer sent, quoted in an error reply and the log: cut short (a 1 MB string must not come back as a 1 MB reply). */
export function shown(v: unknown, max = 80): string {
  if (v === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = String(v);
  }
  return text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
}

/** The `seq` an error reply may name: only a valid id is echoed (a float or huge value is not an id). */
function replySeq(m: Record<string, unknown>): number | undefined {
  const v = m.seq;
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 ? v : undefined;
}

/** Hello contracts bigger than this many components per side are refused before validating them (cost). */
const MAX_CONTRACT_COMPONENTS = 256;

function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'bin';
  if (v instanceof Date) return 'a timestamp extension';
  if (typeof v === 'object') return 'an extension type or reserved byte';
  return typeof v === 'string' ? 'a string' : typeof v;
}

function num(
  m: Record<string, unknown>,
  k: string,
  replyTo?: number,
  opts: { int?: boolean; optional?: boolean } = {},
): number | undefined {
  const v = m[k];
  if (v === undefined && opts.optional) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || (opts.int && !Number.isInteger(v))) {
    throw new ProtocolError(
      'bad_field',
      `${k}: expected ${opts.int ? 'an integer' : 'a finite number'}, got ${shown(v)}`,
      replyTo,
    );
  }
  return v;
}

/** An id: an integer in [min, 2^53) (see MAX_ID). */
function id(m: Record<string, unknown>, k: string, replyTo: number | undefined, min: number): number {
  const v = num(m, k, replyTo, { int: true })!;
  if (v < min || v >= MAX_ID)
    throw new ProtocolError('bad_field', `${k}: expected an integer in [${min}, 2^53), got ${v}`, replyTo);
  return v;
}

function bool(m: Record<string, unknown>, k: string, replyTo?: number, optional = false): boolean | undefined {
  const v = m[k];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'boolean')
    throw new ProtocolError('bad_field', `${k}: expected a boolean, got ${shown(v)}`, replyTo);
  return v;
}

function str(m: Record<string, unknown>, k: string, replyTo?: number): string {
  const v = m[k];
  if (typeof v !== 'string') throw new ProtocolError('bad_field', `${k}: expected a string, got ${shown(v)}`, replyTo);
  return v;
}

const Seq = z.int().min(1).lt(MAX_ID);
const Episode = z.int().min(0).lt(MAX_ID);
const Time = z.number();
const HelloSchema = z.object({
  type: z.literal('hello'),
  seq: Seq,
  time: Time,
  protocol: z.int(),
  robot_id: z.string().min(1).max(200),
  contract: z.object({ obs: z.array(ComponentSchema.strip()).min(1), action: z.array(ComponentSchema.strip()).min(1) }),
  scenario: z.string().max(200).optional(),
  control_hz: z.number().positive().optional(),
  resume: z.string().min(1).max(100).optional(),
});
const EpisodeStartSchema = z.object({
  type: z.literal('episode_start'),
  seq: Seq,
  time: Time,
  episode: Episode,
  seed: z.int().optional(),
  info: z.record(z.string(), z.unknown()).optional(),
});
const EpisodeEndSchema = z.object({
  type: z.literal('episode_end'),
  seq: Seq,
  time: Time,
  episode: Episode,
  success: z.boolean(),
  terminated: z.boolean(),
  truncated: z.boolean(),
  reward: z.number().optional(),
  return: z.number().optional(),
  length: z.int().min(0).optional(),
});
const ByeSchema = z.object({ type: z.literal('bye'), seq: Seq, time: Time });
const DeploySchema = z.object({
  type: z.literal('deploy'),
  seq: Seq,
  time: Time,
  files: z.record(z.string(), z.instanceof(Uint8Array)),
  deployer: z.string().length(40).optional(),
  proof: z.instanceof(Uint8Array).optional(),
});
const StatsSchema = z.object({ type: z.literal('stats'), seq: Seq, time: Time });

function zodParse<T>(schema: z.ZodType<T>, m: Record<string, unknown>): T {
  const r = schema.safeParse(m);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const text = issue.message.length > 200 ? `${issue.message.slice(0, 200)}…` : issue.message;
  throw new ProtocolError('bad_field', `${issue.path.join('.').slice(0, 100) || '(message)'}: ${text}`, replySeq(m));
}

/** Decode and validate a frame a robot (or deploy client) sent to the server. */
export function decodeRobotMessage(frame: Uint8Array): RobotMessage {
  const m = decodeMap(frame);
  const type = m.type;
  const seq = replySeq(m);
  switch (type) {
    case 'obs': {
      const msg = {
        type,
        seq: id(m, 'seq', seq, 1),
        time: num(m, 'time', seq)!,
        episode: id(m, 'episode', seq, 0),
        step: id(m, 'step', seq, 0),
        obs: bytesVector(m.obs as Uint8Array, 'obs', seq),
        reward: num(m, 'reward', seq, { optional: true }),
        terminated: bool(m, 'terminated', seq, true),
        truncated: bool(m, 'truncated', seq, true),
        applied: m.applied === undefined ? undefined : bytesVector(m.applied as Uint8Array, 'applied', seq),
      };
      return msg;
    }
    case 'heartbeat':
      return { type, seq: id(m, 'seq', seq, 1), time: num(m, 'time', seq)! };
    case 'hello': {
      const c = m.contract as { obs?: unknown; action?: unknown } | undefined;
      for (const side of ['obs', 'action'] as const) {
        const list = c && typeof c === 'object' ? c[side] : undefined;
        if (Array.isArray(list) && list.length > MAX_CONTRACT_COMPONENTS)
          throw new ProtocolError(
            'bad_field',
            `contract.${side}: expected at most ${MAX_CONTRACT_COMPONENTS} components, got ${list.length}`,
            seq,
          );
      }
      return zodParse(HelloSchema, m) as RobotMessage;
    }
    case 'episode_start':
      return zodParse(EpisodeStartSchema, m) as RobotMessage;
    case 'episode_end':
      return zodParse(EpisodeEndSchema, m) as RobotMessage;
    case 'bye':
      return zodParse(ByeSchema, m);
    case 'deploy':
      return zodParse(DeploySchema, m);
    case 'stats':
      return zodParse(StatsSchema, m);
    default:
      throw new ProtocolError(
        'unknown_type',
        `type: expected one of hello, episode_start, obs, episode_end, heartbeat, bye, deploy, stats, got ${shown(type)}`,
        seq,
      );
  }
}

/** Decode a frame the server sent (robot side). Trusts the server more: shape checks only. */
export function decodeServerMessage(frame: Uint8Array): ServerMessage {
  const m = decodeMap(frame);
  switch (m.type) {
    case 'action':
      return {
        ...(m as unknown as ServerMessage),
        action: bytesVector(m.action as Uint8Array, 'action'),
      } as ServerMessage;
    case 'welcome':
    case 'policy':
    case 'deployed':
    case 'heartbeat':
    case 'error':
    case 'stats':
      str(m, 'type');
      num(m, 'seq', undefined, { int: true });
      return m as unknown as ServerMessage;
    default:
      throw new ProtocolError('unknown_type', `type: expected a server message type, got ${shown(m.type)}`);
  }
}
