/**
 * Who may deploy, under CurveZMQ. libzmq admits a connection by its key (ZAP) but zeromq.js does not
 * tell which key sent a message, so the deploy message proves it itself: the deployer names its
 * public key and sends HMAC-SHA256 of the deployment under the X25519 secret it shares with the
 * server (CurveZMQ keys are X25519 keys). Only the holder of a deployer secret key, or the server,
 * can compute it; the time in it and a memory of recent proofs stop a replay.
 */
import {
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import { z85Decode } from './z85.js';

/** How far a deployment's `time` may be from the server's clock, s. */
const DEPLOY_CLOCK_SKEW_S = 120;

const b64url = (z85: string) => Buffer.from(z85Decode(z85)).toString('base64url');

function privateKey(pair: { publicKey: string; secretKey: string }): KeyObject {
  return createPrivateKey({
    key: { kty: 'OKP', crv: 'X25519', d: b64url(pair.secretKey), x: b64url(pair.publicKey) },
    format: 'jwk',
  });
}

function publicKey(z85: string): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64url(z85) }, format: 'jwk' });
}

/**
 * What the proof covers (docs/protocol.md "Deploy rights"): a version tag, the message's `time` as
 * the lowercase hex of its 8 little-endian float64 bytes (exact in every language, unlike printing
 * a float), the server's public key, then each file, sorted by the UTF-8 bytes of its name, as its
 * name and lowercase hex SHA-256. One item per line.
 */
function deployDigestInput(files: Record<string, Uint8Array>, time: number, serverKey: string): string {
  const t = Buffer.alloc(8);
  t.writeDoubleLE(time);
  const lines = ['sim2real-deploy/1', t.toString('hex'), serverKey];
  const names = Object.keys(files).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const name of names) {
    // A name with a line break could pass for a name and a digest: not a file name a checkpoint has.
    if (/[\r\n]/.test(name))
      throw new Error(`files: expected names without line breaks, got ${JSON.stringify(name.slice(0, 80))}`);
    lines.push(name, createHash('sha256').update(files[name]).digest('hex'));
  }
  return `${lines.join('\n')}\n`;
}

/** The deployer's side: the proof to send with `deploy`. */
export function deployProof(
  files: Record<string, Uint8Array>,
  time: number,
  serverKey: string,
  deployer: { publicKey: string; secretKey: string },
): Uint8Array {
  const shared = diffieHellman({ privateKey: privateKey(deployer), publicKey: publicKey(serverKey) });
  return createHmac('sha256', shared)
    .update(deployDigestInput(files, time, serverKey))
    .digest();
}

/** The server's side: which deployer keys it accepts, and whether a deployment proves one of them. */
export class DeployAuthority {
  private readonly allowed: Set<string>;
  private readonly seen = new Map<string, number>();
  private readonly secret: KeyObject;

  constructor(
    private readonly server: { publicKey: string; secretKey: string },
    deployers: readonly string[],
  ) {
    this.allowed = new Set(deployers);
    this.secret = privateKey(server);
  }

  /** null when allowed, else why not (one line, for the `not_allowed` error). */
  check(
    m: { files: Record<string, Uint8Array>; time: number; deployer?: string; proof?: Uint8Array },
    nowS = Date.now() / 1000,
  ): string | null {
    if (!m.deployer || !m.proof)
      return "deploy: expected deployer and proof (sim2real deploy --curve-keys with a key on the server's --deploy-allow); robot keys cannot deploy";
    if (!this.allowed.has(m.deployer))
      return `deploy: key ${m.deployer.slice(0, 8)}… is not on the server's --deploy-allow list`;
    if (!(Math.abs(nowS - m.time) <= DEPLOY_CLOCK_SKEW_S))
      return `deploy: time ${m.time} is more than ${DEPLOY_CLOCK_SKEW_S} s from the server's clock`;
    let expected: Buffer;
    try {
      const shared = diffieHellman({ privateKey: this.secret, publicKey: publicKey(m.deployer) });
      expected = createHmac('sha256', shared)
        .update(deployDigestInput(m.files, m.time, this.server.publicKey))
        .digest();
    } catch (e) {
      return `deploy: ${(e as Error).message.startsWith('files:') ? (e as Error).message : 'deployer is not a valid public key'}`;
    }
    if (m.proof.byteLength !== expected.byteLength || !timingSafeEqual(Buffer.from(m.proof), expected))
      return 'deploy: proof does not match (another key, or the files changed on the way)';
    const tag = expected.toString('hex');
    for (const [t, at] of this.seen) if (at < nowS - 2 * DEPLOY_CLOCK_SKEW_S) this.seen.delete(t);
    if (this.seen.has(tag)) return 'deploy: this deployment was already received (replayed)';
    this.seen.set(tag, nowS);
    return null;
  }
}
