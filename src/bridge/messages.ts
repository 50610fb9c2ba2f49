/**
 * Protocol v1 messages (docs/protocol.md). Every frame is one MessagePack map with string keys;
 * float vectors travel as little-endian float32 `bin`; times are float64 seconds since the Unix
 * epoch; `seq` counts each sender's messages from 1 within a session.
 */
import type { Contract } from '../sim/contract.js';

export const PROTOCOL_VERSION = 1;
/** Frames larger than this are refused (bytes). */
export const MAX_FRAME_BYTES = 1 << 20;
/** Ids (`seq`, `episode`, `step`, `reply_to`) are integers below this: every language's float64 and int64 hold them exactly. */
export const MAX_ID = 2 ** 53;

interface Base {
  seq: number;
  time: number;
}

// Robot → server
export interface Hello extends Base {
  type: 'hello';
  protocol: number;
  robot_id: string;
  contract: Contract;
  /** Scenario name the robot runs (informative). */
  scenario?: string;
  /** The robot's control rate, Hz (recorded with served episodes when the server does not know it). */
  control_hz?: number;
  /** The session id of an earlier welcome: a reconnecting robot takes its session back (episodes, recording). */
  resume?: string;
}
export interface EpisodeStartMsg extends Base {
  type: 'episode_start';
  episode: number;
  seed?: number;
  info?: Record<string, unknown>;
}
export interface ObsMsg extends Base {
  type: 'obs';
  episode: number;
  step: number;
  obs: Float32Array;
  /** Reward, flags and the action the robot applied for the previous step (optional; recorded). */
  reward?: number;
  terminated?: boolean;
  truncated?: boolean;
  applied?: Float32Array;
}
export interface EpisodeEndMsg extends Base {
  type: 'episode_end';
  episode: number;
  success: boolean;
  terminated: boolean;
  truncated: boolean;
  /** Reward of the episode's last step. */
  reward?: number;
  return?: number;
  length?: number;
}
export interface HeartbeatMsg extends Base {
  type: 'heartbeat';
}
export interface ByeMsg extends Base {
  type: 'bye';
}
/** Hand a new policy to the server (`sim2real deploy`): the checkpoint's files, inline. */
export interface DeployMsg extends Base {
  type: 'deploy';
  files: Record<string, Uint8Array>;
  /** With CurveZMQ: the deployer's public key (Z85) and its proof of holding the secret key (deploy-auth.ts). */
  deployer?: string;
  proof?: Uint8Array;
}
/** Ask for the server's health figures (any peer, session or not; answered with `stats`). */
export interface StatsRequestMsg extends Base {
  type: 'stats';
}

// Server → robot
export interface Welcome extends Base {
  type: 'welcome';
  protocol: number;
  session: string;
  policy_id: string;
  policy_version: number;
  heartbeat_ms: number;
  liveness: number;
  /** True when the hello's `resume` named a live session and the robot got it back. */
  resumed: boolean;
  /** Observations a robot may have waiting before the oldest is dropped (`overloaded`). */
  max_backlog: number;
}
export interface ActionMsg extends Base {
  type: 'action';
  reply_to: number;
  episode: number;
  step: number;
  action: Float32Array;
  policy_id: string;
  policy_version: number;
  /** Time the server spent computing the action, µs. */
  compute_us: number;
}
export interface PolicyMsg extends Base {
  type: 'policy';
  policy_id: string;
  policy_version: number;
}
export interface DeployedMsg extends Base {
  type: 'deployed';
  policy_id: string;
  policy_version: number;
}
export interface ErrorMsg extends Base {
  type: 'error';
  code: ErrorCode;
  message: string;
  reply_to?: number;
  /** The session is over: the server forgot this peer; say hello again. */
  fatal: boolean;
}

/** One robot session in a `stats` answer. */
export interface SessionStats {
  robot_id: string;
  session: string;
  /** The robot's current episode and last step served (-1: none yet). */
  episode: number;
  step: number;
  /** Observations waiting to be served now. */
  backlog: number;
  served: number;
  /** Observations dropped unanswered because newer ones were waiting (`overloaded`). */
  dropped: number;
  /** Observations answered more than one control period after they arrived. */
  late: number;
  /** Messages refused with an error. */
  errors: number;
  /** Since the robot's last message, ms. */
  silent_ms: number;
}
export interface StatsMsg extends Base {
  type: 'stats';
  reply_to: number;
  uptime_s: number;
  policy_id: string;
  policy_version: number;
  robots: number;
  sessions: SessionStats[];
  /** Totals since the server started (sessions that ended included). */
  served: number;
  dropped: number;
  late: number;
  errors: number;
  sessions_opened: number;
  sessions_resumed: number;
  /** Outgoing messages waiting for the socket, and the most that ever waited. */
  send_queue: number;
  send_queue_max: number;
}

export type ErrorCode =
  | 'malformed'
  | 'too_large'
  | 'unknown_type'
  | 'bad_field'
  | 'bad_vector'
  | 'non_finite'
  | 'replayed_seq'
  | 'bad_step'
  | 'overloaded'
  | 'duplicate_robot'
  | 'protocol_version'
  | 'contract_mismatch'
  | 'no_session'
  | 'bad_policy'
  | 'not_allowed'
  | 'internal';

export type RobotMessage =
  | Hello
  | EpisodeStartMsg
  | ObsMsg
  | EpisodeEndMsg
  | HeartbeatMsg
  | ByeMsg
  | DeployMsg
  | StatsRequestMsg;
export type ServerMessage = Welcome | ActionMsg | PolicyMsg | DeployedMsg | HeartbeatMsg | ErrorMsg | StatsMsg;
