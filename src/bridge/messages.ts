/**
 * Protocol v1 messages (docs/protocol.md). Every frame is one MessagePack map with string keys;
 * float vectors travel as little-endian float32 `bin`; times are float64 seconds since the Unix
 * epoch; `seq` counts each sender's messages from 1 within a session.
 */
import type { Contract } from '../sim/contract.js';

export const PROTOCOL_VERSION = 1;
/** Frames larger than this are refused (bytes). */
export const MAX_FRAME_BYTES = 1 << 20;

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

export type ErrorCode =
  | 'malformed'
  | 'too_large'
  | 'unknown_type'
  | 'bad_field'
  | 'bad_vector'
  | 'non_finite'
  | 'replayed_seq'
  | 'protocol_version'
  | 'contract_mismatch'
  | 'no_session'
  | 'bad_policy'
  | 'not_allowed'
  | 'internal';

export type RobotMessage = Hello | EpisodeStartMsg | ObsMsg | EpisodeEndMsg | HeartbeatMsg | ByeMsg | DeployMsg;
export type ServerMessage = Welcome | ActionMsg | PolicyMsg | DeployedMsg | HeartbeatMsg | ErrorMsg;
