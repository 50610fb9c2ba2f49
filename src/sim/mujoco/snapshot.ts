/**
 * A MuJoCo episode's snapshot: the MJCF it was compiled from and the integration state (time, qpos,
 * qvel, act, ctrl and the solver's warm start, so a restored episode steps bit for bit as the
 * original). Stored as tagged JSON bytes where a Rapier snapshot would be (EnvState.snapshot).
 */
import type { MjData } from './mujoco.js';

const MAGIC = 'sim2real-mujoco-snapshot/1\n';

export interface MujocoSnapshot {
  xml: string;
  time: number;
  qpos: number[];
  qvel: number[];
  act: number[];
  ctrl: number[];
  qacc_warmstart: number[];
}

const FIELDS = ['qpos', 'qvel', 'act', 'ctrl', 'qacc_warmstart'] as const;

export function takeSnapshot(xml: string, data: MjData): Uint8Array {
  const snap: MujocoSnapshot = {
    xml,
    time: data.time,
    qpos: Array.from(data.qpos as Float64Array),
    qvel: Array.from(data.qvel as Float64Array),
    act: Array.from(data.act as Float64Array),
    ctrl: Array.from(data.ctrl as Float64Array),
    qacc_warmstart: Array.from(data.qacc_warmstart as Float64Array),
  };
  return new TextEncoder().encode(MAGIC + JSON.stringify(snap));
}

/** True when `bytes` is a MuJoCo snapshot (not a Rapier one). */
export function isMujocoSnapshot(bytes: Uint8Array): boolean {
  if (bytes.length < MAGIC.length) return false;
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC.charCodeAt(i)) return false;
  return true;
}

export function readSnapshot(bytes: Uint8Array): MujocoSnapshot {
  if (!isMujocoSnapshot(bytes)) throw new Error('env: not a MuJoCo snapshot (taken by another engine?)');
  const s = JSON.parse(new TextDecoder().decode(bytes.subarray(MAGIC.length))) as Partial<MujocoSnapshot>;
  if (typeof s.xml !== 'string' || typeof s.time !== 'number' || FIELDS.some((f) => !Array.isArray(s[f])))
    throw new Error('env: the MuJoCo snapshot is damaged (expected xml, time, qpos, qvel, act, ctrl, qacc_warmstart)');
  return s as MujocoSnapshot;
}

/** Put a snapshot's state into data compiled from the snapshot's xml. */
export function applySnapshot(s: MujocoSnapshot, data: MjData): void {
  data.time = s.time;
  for (const f of FIELDS) {
    const dst = data[f] as Float64Array;
    const src = s[f];
    if (src.length !== dst.length)
      throw new Error(`env: MuJoCo snapshot ${f} has ${src.length} values, the model ${dst.length}`);
    dst.set(src);
  }
}
